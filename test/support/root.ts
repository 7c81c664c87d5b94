/**
 * `describe` for behaviour only root has: the embedded server running as the "postgres" user.
 * Elsewhere the block is skipped, and its name says why.
 */
export const describeAsRoot: (name: string, tests: () => void) => void =
  process.getuid?.() === 0
    ? describe
    : (name, tests) => describe.skip(`${name} [skipped: needs root, this run is not root]`, tests);
