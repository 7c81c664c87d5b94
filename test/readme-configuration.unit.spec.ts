import { readFileSync } from 'node:fs';
import { CONFIG_VARIABLES } from '../src/config/config.js';

/** The README's "Configuration" section, up to the next section. */
function configurationSection(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Configuration\n');
  if (start < 0) throw new Error('README.md has no "## Configuration" section');
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("the README's configuration table", () => {
  const section = configurationSection();
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));

  it.each(CONFIG_VARIABLES)('documents %s', (variable) => {
    expect(rows.some((row) => row.split('|')[1]?.includes(`\`${variable}\``))).toBe(true);
  });

  it('documents nothing the configuration does not read', () => {
    const documented = rows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z0-9_]+)`/g)]);
    const known: readonly string[] = CONFIG_VARIABLES;
    expect(documented.map((match) => match[1]).filter((name) => !known.includes(name ?? ''))).toEqual([]);
  });
});
