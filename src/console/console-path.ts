/** Where the web console is served; its files are built into `dist/console` by `npm run build`. */
export const CONSOLE_PATH = '/console';
