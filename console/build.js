// Bundles the web console (console/src) into dist/console: hashed assets under assets/, and an
// index.html that names them. Run by `npm run build`; the service serves the result at /console/.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(root, '../dist/console');

/** The output file of the bundle with this extension, as a path relative to index.html. */
function output(metafile, extension) {
  const file = Object.keys(metafile.outputs).find((name) => name.endsWith(extension));
  if (!file) throw new Error(`the console build made no ${extension} file`);
  return path.relative(outdir, path.resolve(file)).split(path.sep).join('/');
}

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: path.join(root, 'src/main.tsx') },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox115', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  // The client from its source: the console needs no separate client build first.
  alias: { '@conversation-log/client': path.resolve(root, '../client/src/index.ts') },
  outdir: path.join(outdir, 'assets'),
  entryNames: '[name]-[hash]',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
const template = await readFile(path.join(root, 'index.html'), 'utf8');
const html = template
  .replace('{{js}}', output(result.metafile, '.js'))
  .replace('{{css}}', output(result.metafile, '.css'));
await writeFile(path.join(outdir, 'index.html'), html);
