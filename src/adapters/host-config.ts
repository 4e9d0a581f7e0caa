// Machine-local files: the host settings (host.yaml in the config dir) and
// the cached answers of the KVM boot probe (in the cache dir). Reads and
// writes; validation lives in core/host-config.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ProbeAnswer } from '../core/accel.ts';
import { UserError } from '../core/errors.ts';
import { validateHostConfig, type HostConfig } from '../core/host-config.ts';
import { cacheDir, configDir } from './paths.ts';
import { writeFileAtomic } from './store.ts';

export function hostConfigPath(): string {
  return join(configDir(), 'host.yaml');
}

function probeCachePath(): string {
  return join(cacheDir(), 'accel-probe.json');
}

// Reads host.yaml; a missing file means defaults, an invalid one is a UserError listing every problem.
export async function loadHostConfig(path: string = hostConfigPath()): Promise<HostConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return validateHostConfig(null, path).config as HostConfig;
    throw error;
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new UserError(`${path}: not valid YAML: ${(error as Error).message}`, 'fix the file or delete it to use the defaults');
  }
  const { config, errors } = validateHostConfig(raw, path);
  if (!config) throw new UserError(errors.join('\n'), 'fix the file or delete it to use the defaults');
  return config;
}

type ProbeCache = Record<string, ProbeAnswer & { probedAt: string }>;

async function readProbeCache(): Promise<ProbeCache> {
  try {
    const parsed = JSON.parse(await readFile(probeCachePath(), 'utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as ProbeCache) : {};
  } catch {
    return {};
  }
}

// The cached probe answer for this key, if any.
export async function readProbeAnswer(key: string): Promise<ProbeAnswer | undefined> {
  const entry = (await readProbeCache())[key];
  if (!entry || (entry.accel !== 'kvm' && entry.accel !== 'tcg') || typeof entry.reason !== 'string') return undefined;
  return { accel: entry.accel, reason: entry.reason, ...(typeof entry.readyMs === 'number' ? { readyMs: entry.readyMs } : {}) };
}

// Records a probe answer (the whole file is replaced atomically).
export async function writeProbeAnswer(key: string, answer: ProbeAnswer): Promise<void> {
  const cache = await readProbeCache();
  cache[key] = { ...answer, probedAt: new Date().toISOString() };
  await writeFileAtomic(probeCachePath(), `${JSON.stringify(cache, null, 2)}\n`);
}

// Forgets every cached probe answer (doctor --probe re-probes).
export async function clearProbeAnswers(): Promise<void> {
  await writeFileAtomic(probeCachePath(), '{}\n');
}
