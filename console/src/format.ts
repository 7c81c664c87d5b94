/** Times as the operator's locale writes them; absent ones as a dash. */
export function formatTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

export function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Object.keys(value).length === 0;
}
