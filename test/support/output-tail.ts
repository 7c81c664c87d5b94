/**
 * The last `limit` characters of a child's output, `chunk` appended to what was `kept`: a process
 * that logs every request under load must not make its parent hold (and copy) all of it. Only the
 * chunk's own tail is decoded; a character cut at that edge is left out of the tail, not mended.
 */
export function appendTail(kept: string, chunk: Buffer, limit: number): string {
  const text = (chunk.length > limit ? chunk.subarray(chunk.length - limit) : chunk).toString('utf8');
  const joined = kept + text;
  return joined.length > limit ? joined.slice(joined.length - limit) : joined;
}
