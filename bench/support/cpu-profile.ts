/**
 * A V8 CPU profile (the `.cpuprofile` that `node --cpu-prof` writes) summarised: where the samples
 * fall by package and by the service's own directories, and the functions that take the most time
 * on their own (self) and with everything they call (inclusive).
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  samples: number;
  /** Of all samples, 0 to 1. */
  share: number;
}

export interface ProfileSummary {
  samples: number;
  durationMs: number;
  /** Where the samples' own (self) time falls; the pseudo-frames (GC, program, idle) on their own. */
  byPackage: Share[];
  /** The samples that have the package anywhere on their stack. */
  inclusiveByPackage: Share[];
  topSelf: Share[];
  topInclusive: Share[];
}

/** V8's frames that are not JavaScript functions: kept apart, by name. */
const PSEUDO_FRAMES = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);
export const NODE_INTERNAL = 'node (internal)';
/** Builtins and C++ bindings (writev, JSON.parse, ...): V8 gives them no script. */
export const NATIVE = '(native)';

/**
 * The package a frame belongs to: the innermost node_modules package (scope kept), Node's own
 * modules, or the service's own code by top directory (src/<dir>, projections, ...). `root` is
 * the package root, whose compiled code lies under dist/.
 */
export function packageOf(frame: CpuProfileNode['callFrame'], root: string): string {
  if (PSEUDO_FRAMES.has(frame.functionName)) return frame.functionName;
  if (frame.url === '') return NATIVE;
  if (frame.url.startsWith('node:')) return NODE_INTERNAL;
  const script = locate(frame.url, root);
  if (script.inModules !== undefined) {
    const [first = '', second = ''] = script.inModules.split('/');
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  if (script.inRoot === undefined) return 'other';
  const parts = script.inRoot.replace(/^dist\//, '').split('/');
  // A file at the top of src (main, the app factory) counts as src itself.
  if (parts[0] === 'src' && parts.length > 2) return `src/${parts[1]}`;
  return parts.length > 1 ? (parts[0] ?? 'other') : 'other';
}

/** A script's path inside the innermost node_modules, or else inside the package root. */
function locate(url: string, root: string): { file: string; inModules?: string; inRoot?: string } {
  const file = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return { file, inModules: file.slice(modules + '/node_modules/'.length) };
  const base = root.endsWith('/') ? root : `${root}/`;
  return file.startsWith(base) ? { file, inRoot: file.slice(base.length) } : { file };
}

/** A function, the same wherever in the tree it was called from. */
function functionKey(frame: CpuProfileNode['callFrame'], root: string): string {
  if (PSEUDO_FRAMES.has(frame.functionName)) return frame.functionName;
  const name = frame.functionName || '(anonymous)';
  const where = frame.url ? ` ${shortUrl(frame.url, root)}:${frame.lineNumber + 1}` : '';
  return `${name}${where}`;
}

function shortUrl(url: string, root: string): string {
  const script = locate(url, root);
  return script.inModules ?? script.inRoot ?? script.file;
}

/** Counts each name once per sample (a recursive function is on the stack once, not n times). */
class Tally {
  private readonly counts = new Map<string, number>();

  add(names: Iterable<string>, samples: number): void {
    for (const name of new Set(names)) this.counts.set(name, (this.counts.get(name) ?? 0) + samples);
  }

  shares(total: number, limit = Infinity): Share[] {
    return [...this.counts]
      .map(([name, samples]) => ({ name, samples, share: total > 0 ? samples / total : 0 }))
      .sort((a, b) => b.samples - a.samples || a.name.localeCompare(b.name))
      .slice(0, limit);
  }
}

/** A span on the machine's monotonic clock, in microseconds (V8's profile timestamps are on it). */
export interface Window {
  fromUs: number;
  toUs: number;
}

/** The ids of the samples taken within the window (all of them without one). */
function samplesWithin(profile: CpuProfile, window: Window | undefined): number[] {
  if (!window) return profile.samples;
  const kept: number[] = [];
  let at = profile.startTime;
  profile.samples.forEach((id, index) => {
    at += profile.timeDeltas[index] ?? 0;
    if (at >= window.fromUs && at <= window.toUs) kept.push(id);
  });
  return kept;
}

/**
 * `window`: only the samples taken within it (the load, without the service's start-up and
 * shutdown); `top`: how many functions to list.
 */
export function summarizeProfile(
  profile: CpuProfile,
  root: string,
  { top = 25, window }: { top?: number; window?: Window } = {},
): ProfileSummary {
  const samples = samplesWithin(profile, window);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const hits = new Map<number, number>();
  for (const id of samples) hits.set(id, (hits.get(id) ?? 0) + 1);

  const self = { packages: new Tally(), functions: new Tally() };
  const inclusive = { packages: new Tally(), functions: new Tally() };
  for (const [id, samples] of hits) {
    const leaf = byId.get(id);
    if (!leaf) continue;
    self.packages.add([packageOf(leaf.callFrame, root)], samples);
    self.functions.add([functionKey(leaf.callFrame, root)], samples);
    const stack = ancestry(id, byId, parentOf).filter((node) => node.callFrame.functionName !== '(root)');
    inclusive.packages.add(
      stack.map((node) => packageOf(node.callFrame, root)),
      samples,
    );
    inclusive.functions.add(
      stack.map((node) => functionKey(node.callFrame, root)),
      samples,
    );
  }
  const total = samples.length;
  const from = Math.max(profile.startTime, window?.fromUs ?? -Infinity);
  const to = Math.min(profile.endTime, window?.toUs ?? Infinity);
  return {
    samples: total,
    durationMs: Math.max(0, to - from) / 1000,
    byPackage: self.packages.shares(total),
    inclusiveByPackage: inclusive.packages.shares(total),
    topSelf: self.functions.shares(total, top),
    topInclusive: inclusive.functions.shares(total, top),
  };
}

/** The node and every caller above it. */
function ancestry(
  id: number,
  byId: ReadonlyMap<number, CpuProfileNode>,
  parentOf: ReadonlyMap<number, number>,
): CpuProfileNode[] {
  const stack: CpuProfileNode[] = [];
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at);
    if (node) stack.push(node);
  }
  return stack;
}

const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;

function table(heading: string, rows: readonly Share[]): string[] {
  return [
    `| ${heading} | samples | share |`,
    '|---|---:|---:|',
    ...rows.map((row) => `| ${row.name.replaceAll('|', '\\|')} | ${row.samples} | ${percent(row.share)} |`),
  ];
}

/** The summary as Markdown: the GC share first, then the tables. */
export function profileMarkdown(title: string, summary: ProfileSummary): string {
  const gc = summary.byPackage.find((row) => row.name === '(garbage collector)');
  return [
    `## CPU profile: ${title}`,
    '',
    `${summary.samples} samples over ${(summary.durationMs / 1000).toFixed(1)} s; garbage collector ${percent(gc?.share ?? 0)}.`,
    '',
    '### By package (self)',
    '',
    ...table('package', summary.byPackage),
    '',
    '### By package (inclusive: the package anywhere on the stack)',
    '',
    ...table('package', summary.inclusiveByPackage),
    '',
    `### Top ${summary.topSelf.length} functions by self time`,
    '',
    ...table('function', summary.topSelf),
    '',
    `### Top ${summary.topInclusive.length} functions by inclusive time`,
    '',
    ...table('function', summary.topInclusive),
    '',
  ].join('\n');
}
