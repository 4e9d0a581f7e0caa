// The host end of a guest VLAN without the host kernel's 802.1Q support: two
// tiny tc (cls_bpf, direct-action) programs on a veth whose peer is a bridge
// port. Ingress pops the tag of the one VLAN id and drops everything else;
// egress pushes it. Hosts whose kernels lack CONFIG_VLAN_8021Q and act_vlan
// (this lab's does) still have cls_bpf. The programs are a few instructions,
// assembled here and wrapped in the smallest relocatable ELF that tc's libbpf
// loads, so no compiler is needed on the host. Pure: bytes in, bytes out.

// eBPF opcodes (linux/bpf.h, linux/bpf_common.h)
const LDX_MEM_W = 0x61;
const JEQ_K = 0x15;
const JNE_K = 0x55;
const AND64_K = 0x57;
const MOV64_K = 0xb7;
const CALL = 0x85;
const EXIT = 0x95;
// helper ids (enum bpf_func_id)
const SKB_VLAN_PUSH = 18;
const SKB_VLAN_POP = 19;
// struct __sk_buff field offsets
const SKB_VLAN_PRESENT = 20;
const SKB_VLAN_TCI = 24;
// tc verdicts
const TC_ACT_OK = 0;
const TC_ACT_SHOT = 2;
// htons(ETH_P_8021Q) as the u16 the helper reads on a little-endian host
const ETH_P_8021Q_BE = 0x0081;

export const VLAN_BPF_SECTION = 'classifier';

type Insn = readonly [code: number, dst: number, src: number, off: number, imm: number];

function encode(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const view = new DataView(out.buffer);
  insns.forEach(([code, dst, src, off, imm], i) => {
    view.setUint8(i * 8, code);
    view.setUint8(i * 8 + 1, (src << 4) | dst);
    view.setInt16(i * 8 + 2, off, true);
    view.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

function checkVid(vid: number): void {
  if (!Number.isInteger(vid) || vid < 1 || vid > 4094) throw new RangeError(`expected a VLAN id between 1 and 4094, got ${vid}`);
}

// Ingress of the host end: accept frames tagged `vid` (tag popped), drop the rest (other VLANs, untagged).
export function buildVlanPopProgram(vid: number): Uint8Array {
  checkVid(vid);
  return encode([
    [LDX_MEM_W, 2, 1, SKB_VLAN_PRESENT, 0],
    [JEQ_K, 2, 0, 6, 0], // untagged: drop
    [LDX_MEM_W, 2, 1, SKB_VLAN_TCI, 0],
    [AND64_K, 2, 0, 0, 0xfff],
    [JNE_K, 2, 0, 3, vid], // another VLAN: drop
    [CALL, 0, 0, 0, SKB_VLAN_POP],
    [MOV64_K, 0, 0, 0, TC_ACT_OK],
    [EXIT, 0, 0, 0, 0],
    [MOV64_K, 0, 0, 0, TC_ACT_SHOT],
    [EXIT, 0, 0, 0, 0],
  ]);
}

// Egress of the host end: every frame leaves tagged `vid`.
export function buildVlanPushProgram(vid: number): Uint8Array {
  checkVid(vid);
  return encode([
    [MOV64_K, 2, 0, 0, ETH_P_8021Q_BE],
    [MOV64_K, 3, 0, 0, vid],
    [CALL, 0, 0, 0, SKB_VLAN_PUSH],
    [MOV64_K, 0, 0, 0, TC_ACT_OK],
    [EXIT, 0, 0, 0, 0],
  ]);
}

const EM_BPF = 247;
const SHT_PROGBITS = 1;
const SHT_SYMTAB = 2;
const SHT_STRTAB = 3;
const SHF_WRITE = 1;
const SHF_ALLOC = 2;
const SHF_EXECINSTR = 4;
const STB_GLOBAL = 1;
const STT_FUNC = 2;

function align(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

// A relocatable ELF64 (EM_BPF) holding one program in the `classifier` section,
// a GPL license section and the function symbol libbpf finds the program by.
export function buildBpfObject(program: Uint8Array, name = 'kbisect_vlan'): Uint8Array {
  const enc = new TextEncoder();
  const names: string[] = ['', '.strtab', VLAN_BPF_SECTION, 'license', '.symtab', name];
  const strtabParts: number[] = [];
  const offsetOf = new Map<string, number>();
  let strtabSize = 0;
  for (const n of names) {
    if (offsetOf.has(n)) continue;
    offsetOf.set(n, strtabSize);
    const bytes = enc.encode(`${n}\0`);
    strtabParts.push(...bytes);
    strtabSize += bytes.length;
  }
  const strtab = Uint8Array.from(strtabParts);
  const license = enc.encode('GPL\0');
  const symtab = new Uint8Array(2 * 24);
  const sym = new DataView(symtab.buffer);
  sym.setUint32(24, offsetOf.get(name) ?? 0, true);
  sym.setUint8(24 + 4, (STB_GLOBAL << 4) | STT_FUNC);
  sym.setUint16(24 + 6, 2, true); // section 2: the program
  sym.setBigUint64(24 + 16, BigInt(program.length), true);

  const progOff = 64;
  const licenseOff = progOff + program.length;
  const strtabOff = licenseOff + license.length;
  const symtabOff = align(strtabOff + strtab.length, 8);
  const shOff = align(symtabOff + symtab.length, 8);
  const shnum = 5;
  const out = new Uint8Array(shOff + shnum * 64);
  const v = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, 1, true);
  v.setBigUint64(40, BigInt(shOff), true);
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  v.setUint16(60, shnum, true);
  v.setUint16(62, 1, true); // e_shstrndx: .strtab
  out.set(program, progOff);
  out.set(license, licenseOff);
  out.set(strtab, strtabOff);
  out.set(symtab, symtabOff);
  const section = (i: number, s: { name: string; type: number; flags: number; offset: number; size: number; link?: number; info?: number; align: number; entsize?: number }): void => {
    const at = shOff + i * 64;
    v.setUint32(at, offsetOf.get(s.name) ?? 0, true);
    v.setUint32(at + 4, s.type, true);
    v.setBigUint64(at + 8, BigInt(s.flags), true);
    v.setBigUint64(at + 24, BigInt(s.offset), true);
    v.setBigUint64(at + 32, BigInt(s.size), true);
    v.setUint32(at + 40, s.link ?? 0, true);
    v.setUint32(at + 44, s.info ?? 0, true);
    v.setBigUint64(at + 48, BigInt(s.align), true);
    v.setBigUint64(at + 56, BigInt(s.entsize ?? 0), true);
  };
  section(1, { name: '.strtab', type: SHT_STRTAB, flags: 0, offset: strtabOff, size: strtab.length, align: 1 });
  section(2, { name: VLAN_BPF_SECTION, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, offset: progOff, size: program.length, align: 8 });
  section(3, { name: 'license', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_WRITE, offset: licenseOff, size: license.length, align: 1 });
  section(4, { name: '.symtab', type: SHT_SYMTAB, flags: 0, offset: symtabOff, size: symtab.length, link: 1, info: 1, align: 8, entsize: 24 });
  return out;
}
