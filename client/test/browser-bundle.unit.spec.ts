import path from 'node:path';
import { build } from 'esbuild';

it('bundles for the browser from the client source alone, importing nothing from Node', async () => {
  const result = await build({
    entryPoints: [path.resolve('client/src/index.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.length).toBeGreaterThan(5);
  expect(inputs.filter((input) => !input.startsWith('client/src/'))).toEqual([]);
  const imports = Object.values(result.metafile.inputs).flatMap((input) => input.imports.map((i) => i.path));
  expect(
    imports.filter((specifier) => specifier.startsWith('node:') || !specifier.startsWith('client/src/')),
  ).toEqual([]);
  const bundle = result.outputFiles[0]!.text;
  expect(bundle).not.toMatch(/\brequire\(|from\s*["']node:|\bprocess\.|\bBuffer\b/);
});
