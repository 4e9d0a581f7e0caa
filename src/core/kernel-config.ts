// Kernel configuration as data: the built-in guest fragment, fragment parsing
// and merging, applying options to a .config the way scripts/config does, and
// finding the requested options that `make olddefconfig` silently dropped.
// Pure: the adapters run make and read files.

// One requested option. `value` is as written in a .config: y, n, m, a quoted
// string ("..."), or a number (decimal or 0x hex); `# CONFIG_X is not set` is n.
export interface ConfigOption {
  name: string;
  value: string;
  source: string;
  line: number;
}

export interface ConfigFragment {
  source: string;
  text: string;
}

// What a build's configuration is made of: a base and fragments on top.
// A fragment given as a plain string is named `fragment N` in messages.
export type ConfigBase = 'tinyconfig' | 'defconfig' | { file: string };
export interface KernelConfigSpec {
  base: ConfigBase;
  fragments: readonly (string | ConfigFragment)[];
  // the built-in guest fragment (virtio-net, serial console, initramfs...) goes first unless false
  guestFragment?: boolean;
}

export interface ParsedFragment {
  options: ConfigOption[];
  errors: string[];
}

export interface MergedFragments {
  // first-appearance order, last value wins
  options: ConfigOption[];
  // a later fragment changed what an earlier one asked for
  overrides: { name: string; from: ConfigOption; to: ConfigOption }[];
  errors: string[];
}

export interface DroppedOption {
  name: string;
  requested: string;
  // null: the symbol is absent from the resulting .config (unknown to this
  // kernel, or its dependencies are off)
  actual: string | null;
  source: string;
}

// Bumped whenever the way a config is produced changes, so old cache entries
// are not taken for new ones.
export const CONFIG_RECIPE_VERSION = 1;

// The options kbisect needs in every guest kernel: virtio-net on PCI, a serial
// console, initramfs + devtmpfs, a KVM paravirt guest, IPv4/TCP, PVH entry for
// booting the uncompressed vmlinux, and tinyconfig's size choices turned
// around (KERNEL_XZ and SLOB must be turned off explicitly or they win).
// Same options as the lab's kernel.config-fragment (shared/lab).
export const GUEST_CONFIG_FRAGMENT = `# kbisect built-in guest fragment: x86_64 KVM guest for virtio-net netperf runs.
# --- architecture / performance-relevant overrides of tiny.config ---
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_NR_CPUS=4
CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y
CONFIG_CC_OPTIMIZE_FOR_SIZE=n
CONFIG_KERNEL_GZIP=y
CONFIG_KERNEL_XZ=n
CONFIG_SLUB=y
CONFIG_SLOB=n
CONFIG_HIGH_RES_TIMERS=y
CONFIG_NO_HZ_IDLE=y

# --- KVM paravirt guest ---
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_KVM_GUEST=y
CONFIG_X86_X2APIC=y

# --- console / early boot ---
CONFIG_PRINTK=y
CONFIG_EARLY_PRINTK=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y

# --- initramfs / userspace basics ---
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_SHMEM=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_FILE_LOCKING=y
CONFIG_ADVISE_SYSCALLS=y

# --- PCI + virtio ---
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_VIRTIO_MENU=y
CONFIG_VIRTIO=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_PCI_LEGACY=y

# --- networking ---
CONFIG_NET=y
CONFIG_INET=y
CONFIG_UNIX=y
CONFIG_PACKET=y
CONFIG_IPV6=n
CONFIG_NETDEVICES=y
CONFIG_NET_CORE=y
CONFIG_VIRTIO_NET=y
# PVH entry point: QEMU can boot the uncompressed ELF vmlinux (-kernel vmlinux).
CONFIG_PVH=y

# --- devices the benchmark does not need (faster boot, fewer exits) ---
CONFIG_INPUT=n
CONFIG_SERIO=n
CONFIG_VT=n
CONFIG_PTP_1588_CLOCK=n
CONFIG_PPS=n
`;

// Applied last to every build: identical sources must give an identical image,
// so no version string derived from the git state.
export const REPRODUCIBLE_CONFIG_FRAGMENT = `# kbisect: reproducible builds
CONFIG_LOCALVERSION_AUTO=n
CONFIG_LOCALVERSION=""
`;

const ASSIGNMENT = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const NOT_SET = /^#\s*(CONFIG_[A-Za-z0-9_]+) is not set\s*$/;
const STRING_VALUE = /^"(?:[^"\\]|\\.)*"$/;
const NUMBER_VALUE = /^(?:-?\d+|0[xX][0-9a-fA-F]+)$/;

// Parses one fragment; bad lines become errors naming the file and line, the rest still parse.
export function parseConfigFragment(text: string, source = 'fragment'): ParsedFragment {
  const options: ConfigOption[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    const lineNo = i + 1;
    if (line === '') return;
    const notSet = NOT_SET.exec(line);
    if (notSet?.[1]) {
      options.push({ name: notSet[1], value: 'n', source, line: lineNo });
      return;
    }
    if (line.startsWith('#')) return;
    const m = ASSIGNMENT.exec(line);
    const value = m?.[2]?.trim();
    if (!m?.[1] || value === undefined || !isConfigValue(value)) {
      errors.push(
        `${source}:${lineNo}: expected CONFIG_NAME=y|n|m|"string"|number or "# CONFIG_NAME is not set", got ${JSON.stringify(line)}`,
      );
      return;
    }
    const unsafe = checkConfigStringValue(m[1], value);
    if (unsafe !== null) {
      errors.push(`${source}:${lineNo}: ${unsafe}`);
      return;
    }
    options.push({ name: m[1], value, source, line: lineNo });
  });
  return { options, errors };
}

// What a string option may hold. Kbuild writes string options unquoted into
// include/config/auto.conf, which make includes and recipes paste into shell
// lines (usr/Makefile: CONFIG_INITRAMFS_SOURCE on gen_initramfs.sh's command
// line), so a fragment from a shared profile could run commands on the host.
// Allowed: what paths, command lines and lists need; not allowed: anything the
// shell or make interprets (` $ ; | & < > ( ) quotes, backslash, # * ? [ ] { } ~ ! %),
// and a word starting with "-" (an extra option for the script it lands in).
const SAFE_STRING_CHAR = /^[A-Za-z0-9 _.,:/=+@-]$/;
export const SAFE_STRING_CHARS_TEXT = 'letters, digits, spaces and _ - . , : / = + @ (no word may start with -)';

const CHAR_NAMES: Readonly<Record<string, string>> = {
  '`': 'backquote',
  $: 'dollar sign',
  ';': 'semicolon',
  '|': 'pipe',
  '&': 'ampersand',
  '<': 'less-than sign',
  '>': 'greater-than sign',
  '(': 'parenthesis',
  ')': 'parenthesis',
  '"': 'double quote',
  "'": 'single quote',
  '\\': 'backslash',
  '#': 'hash (a make comment)',
  '\t': 'tab',
};

function describeChar(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const name = CHAR_NAMES[char] ?? (code < 0x20 || code === 0x7f ? 'control character' : code > 0x7e ? `U+${code.toString(16).toUpperCase().padStart(4, '0')}` : undefined);
  return name === undefined ? JSON.stringify(char) : `${JSON.stringify(char)} (${name})`;
}

function shorten(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 57)}...`;
}

// Says why a string option's value (as written, "...") could reach a shell,
// or null when it is safe or not a string. Also for the profile validator.
export function checkConfigStringValue(option: string, value: string): string | null {
  if (!value.startsWith('"')) return null;
  const inner = value.slice(1, -1);
  const expected = `${option}: expected a string of ${SAFE_STRING_CHARS_TEXT}, because Kbuild pastes string options into shell commands`;
  const bad = [...inner].find((c) => !SAFE_STRING_CHAR.test(c));
  if (bad !== undefined) {
    return `${expected}; got ${describeChar(bad)} in ${JSON.stringify(shorten(inner))}: remove the line or keep to those characters`;
  }
  const dash = inner.split(' ').find((word) => word.startsWith('-'));
  if (dash !== undefined) {
    return `${expected}; got the word ${JSON.stringify(shorten(dash))} starting with "-" in ${JSON.stringify(shorten(inner))}: remove the line or drop the leading "-"`;
  }
  return null;
}

function isConfigValue(value: string): boolean {
  return value === 'y' || value === 'n' || value === 'm' || STRING_VALUE.test(value) || NUMBER_VALUE.test(value);
}

// Names the fragments of a spec (plain strings become `fragment N`) and puts
// the guest fragment first and the reproducibility fragment last.
export function collectFragments(spec: KernelConfigSpec): ConfigFragment[] {
  const named = spec.fragments.map((f, i) => (typeof f === 'string' ? { source: `fragment ${i + 1}`, text: f } : f));
  return [
    ...(spec.guestFragment === false ? [] : [{ source: 'kbisect guest fragment', text: GUEST_CONFIG_FRAGMENT }]),
    ...named,
    { source: 'kbisect reproducibility fragment', text: REPRODUCIBLE_CONFIG_FRAGMENT },
  ];
}

// Merges fragments in order (like merge_config.sh: a later value overrides an earlier one).
export function mergeConfigFragments(fragments: readonly ConfigFragment[]): MergedFragments {
  const byName = new Map<string, ConfigOption>();
  const overrides: MergedFragments['overrides'] = [];
  const errors: string[] = [];
  for (const fragment of fragments) {
    const parsed = parseConfigFragment(fragment.text, fragment.source);
    errors.push(...parsed.errors);
    for (const option of parsed.options) {
      const previous = byName.get(option.name);
      if (previous && previous.value !== option.value) overrides.push({ name: option.name, from: previous, to: option });
      byName.set(option.name, option);
    }
  }
  return { options: [...byName.values()], overrides, errors };
}

// Reads a .config into name -> value; `# CONFIG_X is not set` reads as n.
export function parseDotConfig(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    const notSet = NOT_SET.exec(line);
    if (notSet?.[1]) {
      values.set(notSet[1], 'n');
      continue;
    }
    const m = ASSIGNMENT.exec(line);
    if (m?.[1] && m[2] !== undefined) values.set(m[1], m[2]);
  }
  return values;
}

// Sets options in a .config the way scripts/config does (drop the symbol's
// old line, append the new one); works on kernels that predate scripts/config.
export function applyConfigOptions(dotConfig: string, options: readonly ConfigOption[]): string {
  const names = new Set(options.map((o) => o.name));
  const kept = dotConfig.split('\n').filter((rawLine) => {
    const line = rawLine.trim();
    const name = NOT_SET.exec(line)?.[1] ?? ASSIGNMENT.exec(line)?.[1];
    return name === undefined || !names.has(name);
  });
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  const added = options.map((o) => (o.value === 'n' ? `# ${o.name} is not set` : `${o.name}=${o.value}`));
  return `${[...kept, ...added].join('\n')}\n`;
}

// The requested options that did not survive olddefconfig, with what the .config says instead.
export function findDroppedOptions(requested: readonly ConfigOption[], actual: ReadonlyMap<string, string>): DroppedOption[] {
  const dropped: DroppedOption[] = [];
  for (const option of requested) {
    const got = actual.get(option.name);
    if (!optionSatisfied(option.value, got)) {
      dropped.push({ name: option.name, requested: option.value, actual: got ?? null, source: option.source });
    }
  }
  return dropped;
}

function optionSatisfied(requested: string, actual: string | undefined): boolean {
  if (requested === 'n') return actual === undefined || actual === 'n';
  if (actual === undefined) return false;
  // a tristate asked as m becomes y when the kernel has no module support
  if (requested === 'm') return actual === 'm' || actual === 'y';
  if (requested === actual) return true;
  if (NUMBER_VALUE.test(requested) && NUMBER_VALUE.test(actual)) return parseNumber(requested) === parseNumber(actual);
  return false;
}

function parseNumber(text: string): bigint {
  return text.startsWith('-') ? -BigInt(text.slice(1)) : BigInt(text);
}

// One line per dropped option, for the error message.
export function describeDroppedOptions(dropped: readonly DroppedOption[]): string {
  return dropped
    .map((d) => {
      const got =
        d.actual === null
          ? 'absent from the .config (unknown to this kernel, or its dependencies are off)'
          : d.actual === 'n'
            ? 'is not set (a dependency is off, or a choice picked another option)'
            : `is ${d.actual}`;
      return `  ${d.name}=${d.requested} (from ${d.source}): ${got}`;
    })
    .join('\n');
}

// The text a config hash is computed from: the base's identity and the merged
// options in name order, so that equal requests hash equally whatever their order.
export function canonicalConfigRequest(baseId: string, options: readonly ConfigOption[]): string {
  const lines = [...options].map((o) => `${o.name}=${o.value}`).sort();
  return [`recipe=${CONFIG_RECIPE_VERSION}`, `base=${baseId}`, ...lines, ''].join('\n');
}

// Files whose content can change what Kconfig makes of a request: Kconfig
// files, the kconfig tool, base configs (tinyconfig, defconfig), the top
// Makefile (version) and the scripts Kconfig runs for tool versions.
export function isKconfigInput(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return (
    name.startsWith('Kconfig') ||
    path === 'Makefile' ||
    path.startsWith('scripts/kconfig/') ||
    path.startsWith('kernel/configs/') ||
    /^arch\/[^/]+\/configs\//.test(path) ||
    /^scripts\/[^/]+\.sh$/.test(path)
  );
}

// The text a generated .config is memoized under: the request, the
// toolchain, and the blob ids of every Kconfig input of the commit. Two
// commits that differ only outside these files get the same .config.
export function configMemoText(opts: {
  configHash: string;
  toolchain: readonly string[];
  tree: readonly { path: string; object: string }[];
}): string {
  const inputs = opts.tree.filter((e) => isKconfigInput(e.path)).map((e) => `${e.object} ${e.path}`).sort();
  return [`recipe=${CONFIG_RECIPE_VERSION}`, `config=${opts.configHash}`, ...opts.toolchain.map((t) => `toolchain=${t}`), ...inputs, ''].join('\n');
}
