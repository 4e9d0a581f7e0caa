// Filled in by build.mjs (esbuild `define`) from package.json; 'dev' when run from source.
declare const __KBISECT_VERSION__: string | undefined;

export const version: string = typeof __KBISECT_VERSION__ === 'string' ? __KBISECT_VERSION__ : '0.0.0-dev';
