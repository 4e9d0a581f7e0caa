// build.mjs - bundle src/bin.ts with esbuild into dist/kbisect.mjs (one ES
// module for `node` and `deno run -A`), then build dist/kbisect, a single
// executable (Node SEA: a blob of a CommonJS bundle injected into a copy of
// the node binary with postject).
//
//   node build.mjs            both
//   node build.mjs --no-sea   only the ES module (fast)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const withSea = !process.argv.includes('--no-sea');

// `import text from './x.yaml?raw'` (Vite's syntax, so vitest understands it
// too) inlines a file as a string: built-in profiles and guest scripts travel
// inside the bundle and the single executable.
const rawPlugin = {
  name: 'raw',
  setup(build) {
    build.onResolve({ filter: /\?raw$/ }, (args) => ({
      path: join(args.resolveDir, args.path.replace(/\?raw$/, '')),
      namespace: 'raw',
    }));
    build.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({
      contents: readFileSync(args.path, 'utf8'),
      loader: 'text',
    }));
  },
};

// debug (under simple-git) probes `require('supports-color')` in a try/catch.
// Inside the single executable that require() of a non-builtin prints a Node
// warning on stderr before failing, so give it an empty module in both
// bundles: colours in DEBUG output are all it would have changed.
const optionalAbsentPlugin = {
  name: 'optional-absent',
  setup(build) {
    build.onResolve({ filter: /^supports-color$/ }, (args) => ({ path: args.path, namespace: 'absent' }));
    build.onLoad({ filter: /.*/, namespace: 'absent' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

const common = {
  entryPoints: [join(root, 'src/bin.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  define: { __KBISECT_VERSION__: JSON.stringify(pkg.version) },
  plugins: [rawPlugin, optionalAbsentPlugin],
  legalComments: 'none',
  logLevel: 'warning',
};

mkdirSync(dist, { recursive: true });
const t0 = performance.now();
await esbuild.build({
  ...common,
  format: 'esm',
  outfile: join(dist, 'kbisect.mjs'),
  // CommonJS dependencies bundled into ESM still call require() for node
  // builtins: give them one (works on Node and Deno).
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __kbisectCreateRequire } from 'node:module';\nconst require = __kbisectCreateRequire(import.meta.url);",
  },
});
chmodSync(join(dist, 'kbisect.mjs'), 0o755);
const size = (f) => `${(statSync(join(dist, f)).size / 1024).toFixed(0)} KiB`;
console.log(`build: dist/kbisect.mjs ${size('kbisect.mjs')} (${Math.round(performance.now() - t0)} ms)`);

if (withSea) {
  const t1 = performance.now();
  // Node 20's SEA runs a CommonJS script; import.meta does not exist there.
  await esbuild.build({
    ...common,
    format: 'cjs',
    outfile: join(dist, 'kbisect-sea.cjs'),
    define: { ...common.define, 'import.meta.url': '__kbisectImportMetaUrl' },
    banner: { js: "const __kbisectImportMetaUrl = require('node:url').pathToFileURL(process.execPath).href;" },
  });
  const config = join(dist, 'sea-config.json');
  const blob = join(dist, 'kbisect.blob');
  writeFileSync(
    config,
    JSON.stringify({ main: join(dist, 'kbisect-sea.cjs'), output: blob, disableExperimentalSEAWarning: true }),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exe = join(dist, 'kbisect');
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  // postject warns about ELF note sections it does not know; only its failure matters
  try {
    execFileSync(
      process.execPath,
      [postject, exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (error) {
    process.stderr.write(String(error.stderr ?? error));
    throw error;
  }
  rmSync(blob);
  rmSync(config);
  console.log(`build: dist/kbisect (single executable) ${(statSync(exe).size / 1048576).toFixed(1)} MiB (${Math.round(performance.now() - t1)} ms)`);
}
