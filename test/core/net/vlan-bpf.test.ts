import { describe, expect, it } from 'vitest';
import { buildBpfObject, buildVlanPopProgram, buildVlanPushProgram } from '../../../src/core/net/vlan-bpf.ts';

const words = (program: Uint8Array): string[] => Array.from({ length: program.length / 8 }, (_, i) => Buffer.from(program.subarray(i * 8, i * 8 + 8)).toString('hex'));

describe('VLAN tc programs', () => {
  it('pops tag 10 and drops untagged frames and other VLANs', () => {
    expect(words(buildVlanPopProgram(10))).toEqual([
      '6112140000000000', // r2 = skb->vlan_present
      '1502060000000000', // if r2 == 0 goto drop
      '6112180000000000', // r2 = skb->vlan_tci
      '57020000ff0f0000', // r2 &= 0xfff
      '550203000a000000', // if r2 != 10 goto drop
      '8500000013000000', // bpf_skb_vlan_pop(skb)
      'b700000000000000', // return TC_ACT_OK
      '9500000000000000',
      'b700000002000000', // drop: return TC_ACT_SHOT
      '9500000000000000',
    ]);
  });

  it('pushes an 802.1Q tag with the id', () => {
    expect(words(buildVlanPushProgram(4094))).toEqual([
      'b702000081000000', // r2 = htons(ETH_P_8021Q)
      'b7030000fe0f0000', // r3 = 4094
      '8500000012000000', // bpf_skb_vlan_push(skb, r2, r3)
      'b700000000000000',
      '9500000000000000',
    ]);
  });

  it('refuses an id outside 1-4094', () => {
    expect(() => buildVlanPopProgram(0)).toThrow(/between 1 and 4094/);
    expect(() => buildVlanPushProgram(4095)).toThrow(/between 1 and 4094/);
  });

  it('wraps a program in a relocatable little-endian ELF64 for EM_BPF with its section, license and symbol', () => {
    const program = buildVlanPushProgram(10);
    const elf = buildBpfObject(program);
    const v = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
    expect([...elf.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    expect(v.getUint16(16, true)).toBe(1); // ET_REL
    expect(v.getUint16(18, true)).toBe(247); // EM_BPF
    expect(v.getUint16(60, true)).toBe(5);
    expect(Buffer.from(elf.subarray(64, 64 + program.length)).equals(Buffer.from(program))).toBe(true);
    const text = Buffer.from(elf).toString('latin1');
    for (const s of ['classifier\0', 'license\0', 'GPL\0', 'kbisect_vlan\0', '.symtab\0']) expect(text).toContain(s);
    // section headers end the file
    expect(Number(v.getBigUint64(40, true)) + 5 * 64).toBe(elf.length);
  });
});
