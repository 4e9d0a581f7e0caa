// Kernel config resolution: what the command line or a profile names (base,
// fragments) becomes a checked, hashed request; and, per build slot, the final
// .config generated from it in the commit's own Kconfig (memoized).
import {
  applyConfigOptions,
  canonicalConfigRequest,
  collectFragments,
  configMemoText,
  mergeConfigFragments,
  type ConfigBase,
  type ConfigOption,
  type KernelConfigSpec,
} from '../core/kernel-config.ts';
import { UserError } from '../core/errors.ts';
import { readMemoConfig, writeMemoConfig, type SlotPaths } from '../adapters/build-workspace.ts';
import { sha256Hex } from '../adapters/digest.ts';
import { listTree } from '../adapters/git.ts';
import {
  detectConfigTargets,
  makeConfigCommand,
  readConfigFile,
  readDotConfig,
  runConfigTarget,
  writeDotConfig,
  type BuildEnvironment,
  type MakeOutcome,
} from '../adapters/kernel-build.ts';
import { loadProfile } from './profiles.ts';

export type { KernelConfigSpec } from '../core/kernel-config.ts';

export interface ResolvedKernelConfig {
  base: ConfigBase;
  // tinyconfig | defconfig | file:<sha256 of the file>
  baseId: string;
  baseText: string | null;
  options: ConfigOption[];
  overrides: { name: string; from: ConfigOption; to: ConfigOption }[];
  configHash: string;
}

// Turns what the command line names (--profile, --config, --fragment) into a
// config spec: the profile's kernel fragment, then the fragment files in order.
// A profile's resolved fragment already holds the guest base (minus what it
// removed), so the built-in guest fragment is not added again.
export async function readKernelConfigSpec(opts: {
  base?: 'tinyconfig' | 'defconfig';
  configFile?: string;
  // a profile name or YAML path (relative to `cwd`)
  profile?: string;
  cwd?: string;
  fragmentFiles?: readonly string[];
  extraFragments?: readonly string[];
}): Promise<KernelConfigSpec> {
  const fragments = [];
  if (opts.profile !== undefined) {
    const loaded = await loadProfile(opts.profile, opts.cwd);
    fragments.push({ source: `profile ${loaded.source}`, text: loaded.profile.kernel.fragment.join('\n') });
  }
  for (const file of opts.fragmentFiles ?? []) fragments.push({ source: file, text: await readConfigFile(file, '--fragment') });
  fragments.push(...(opts.extraFragments ?? []));
  return {
    base: opts.configFile !== undefined ? { file: opts.configFile } : (opts.base ?? 'tinyconfig'),
    fragments,
    ...(opts.profile === undefined ? {} : { guestFragment: false }),
  };
}

// Merges the fragments, checks them, and hashes the request (base + options):
// the config part of every cache key.
export async function resolveKernelConfig(spec: KernelConfigSpec): Promise<ResolvedKernelConfig> {
  const merged = mergeConfigFragments(collectFragments(spec));
  if (merged.errors.length > 0) {
    throw new UserError(`config fragments have errors:\n  ${merged.errors.join('\n  ')}`, 'fix those lines (format: CONFIG_FOO=y)');
  }
  let baseText: string | null = null;
  let baseId: string;
  if (typeof spec.base === 'string') {
    if (spec.base !== 'tinyconfig' && spec.base !== 'defconfig') {
      throw new UserError(`config base: expected tinyconfig, defconfig or a .config file, got ${JSON.stringify(spec.base)}`);
    }
    baseId = spec.base;
  } else {
    baseText = await readConfigFile(spec.base.file, '--config');
    baseId = `file:${sha256Hex(baseText)}`;
  }
  const configHash = sha256Hex(canonicalConfigRequest(baseId, merged.options)).slice(0, 16);
  return { base: spec.base, baseId, baseText, options: merged.options, overrides: merged.overrides, configHash };
}

export type GeneratedConfig = { ok: true; text: string } | { ok: false; outcome: MakeOutcome; log: string };

// Generates the final .config in the slot's config O= dir: base, then the
// merged fragments, then olddefconfig (oldconfig with default answers on
// kernels before 3.7; allnoconfig stands in for tinyconfig before 3.17).
// Memoized by the commit's Kconfig inputs: most bisection steps reuse it.
export async function generateConfig(
  paths: SlotPaths,
  workDir: string,
  sha: string,
  config: ResolvedKernelConfig,
  env: BuildEnvironment,
): Promise<GeneratedConfig> {
  const memoKey = sha256Hex(
    configMemoText({
      configHash: config.configHash,
      toolchain: [env.toolchain.versionText, env.toolchain.linkerVersionText],
      tree: await listTree(paths.src, sha),
    }),
  );
  const memo = await readMemoConfig(workDir, memoKey);
  if (memo !== null) return { ok: true, text: memo };
  const targets = await detectConfigTargets(paths.src);
  let log = '';
  const make = async (target: string, input?: string): Promise<MakeOutcome | null> => {
    const outcome = await runConfigTarget(
      makeConfigCommand({ srcDir: paths.src, outDir: paths.config, target, env, ...(input === undefined ? {} : { input }) }),
    );
    log += `$ ${outcome.command}\n${outcome.output}`;
    return outcome.exitCode === 0 && outcome.signal === undefined ? null : outcome;
  };
  let failed: MakeOutcome | null = null;
  if (config.baseText !== null) await writeDotConfig(paths.config, config.baseText);
  else failed = await make(config.base === 'defconfig' ? 'defconfig' : targets.tinyconfig ? 'tinyconfig' : 'allnoconfig');
  if (failed === null) {
    await writeDotConfig(paths.config, applyConfigOptions(await readDotConfig(paths.config), config.options));
    failed = targets.olddefconfig ? await make('olddefconfig') : await make('oldconfig', '\n'.repeat(20_000));
  }
  if (failed !== null) return { ok: false, outcome: failed, log };
  const text = await readDotConfig(paths.config);
  await writeMemoConfig(workDir, memoKey, text);
  return { ok: true, text };
}
