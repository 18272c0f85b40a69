// The cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program generated from the OCI
// rules, like runc's libcontainer/cgroups/devices/devicefilter. The program sees
// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; } (access_type: device
// type in the low 16 bits, access in the high 16 bits) and returns 1 (allow) or 0 (deny).
// Rules are evaluated last-match-wins, so they are emitted in reverse and the first match returns;
// no match denies.
import type { NormalRule } from '../devices-rules.js';

// include/uapi/linux/bpf.h
export const BPF_DEVCG_ACC_MKNOD = 1;
export const BPF_DEVCG_ACC_READ = 2;
export const BPF_DEVCG_ACC_WRITE = 4;
export const BPF_DEVCG_DEV_BLOCK = 1;
export const BPF_DEVCG_DEV_CHAR = 2;

// Opcodes (class | op | source).
const LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const ALU32_AND_K = 0x54; // BPF_ALU | BPF_AND | BPF_K
const ALU32_RSH_K = 0x74; // BPF_ALU | BPF_RSH | BPF_K
const ALU32_MOV_K = 0xb4; // BPF_ALU | BPF_MOV | BPF_K
const ALU32_MOV_X = 0xbc; // BPF_ALU | BPF_MOV | BPF_X
const JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JMP_JNE_X = 0x5d; // BPF_JMP | BPF_JNE | BPF_X
const JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const R0 = 0,
  R1 = 1,
  R2 = 2,
  R3 = 3,
  R4 = 4,
  R5 = 5;

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

function accessMask(access: string): number {
  let m = 0;
  if (access.includes('m')) m |= BPF_DEVCG_ACC_MKNOD;
  if (access.includes('r')) m |= BPF_DEVCG_ACC_READ;
  if (access.includes('w')) m |= BPF_DEVCG_ACC_WRITE;
  return m;
}

/** The instructions of one rule: tests that skip to the next rule, then `return allow`. */
function ruleBlock(r: NormalRule): Insn[] {
  // Each test is a JNE to the end of the block; offsets are patched once the block is known.
  const tests: Insn[] = [];
  if (r.type !== 'a')
    tests.push(insn(JMP_JNE_K, R2, 0, 0, r.type === 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  const mask = accessMask(r.access);
  if (mask !== 7) {
    // Requested access must be within the rule's: (access & mask) == access.
    tests.push(
      insn(ALU32_MOV_X, R1, R3, 0, 0),
      insn(ALU32_AND_K, R1, 0, 0, mask),
      insn(JMP_JNE_X, R1, R3, 0, 0),
    );
  }
  if (r.major !== -1) tests.push(insn(JMP_JNE_K, R4, 0, 0, r.major));
  if (r.minor !== -1) tests.push(insn(JMP_JNE_K, R5, 0, 0, r.minor));
  const block = [...tests, insn(ALU32_MOV_K, R0, 0, 0, r.allow ? 1 : 0), insn(JMP_EXIT, 0, 0, 0, 0)];
  // A jump from index i lands on i + 1 + off; the next block starts at block.length.
  block.forEach((ins, i) => {
    if (ins.code === JMP_JNE_K || ins.code === JMP_JNE_X) ins.off = block.length - (i + 1);
  });
  return block;
}

export function deviceFilterProgram(rules: NormalRule[]): Insn[] {
  const prog: Insn[] = [
    // R2 = type, R3 = access, R4 = major, R5 = minor (R1 = ctx).
    insn(LDX_MEM_W, R2, R1, 0, 0),
    insn(ALU32_AND_K, R2, 0, 0, 0xffff),
    insn(LDX_MEM_W, R3, R1, 0, 0),
    insn(ALU32_RSH_K, R3, 0, 0, 16),
    insn(LDX_MEM_W, R4, R1, 4, 0),
    insn(LDX_MEM_W, R5, R1, 8, 0),
  ];
  // The verifier rejects unreachable code: a rule without tests matches everything, so nothing
  // after it (earlier rules, the default) is emitted.
  let catchAll = false;
  for (let i = rules.length - 1; i >= 0 && !catchAll; i--) {
    const r = rules[i]!;
    if (accessMask(r.access) === 0) continue; // matches nothing
    const block = ruleBlock(r);
    catchAll = block.length === 2;
    prog.push(...block);
  }
  if (!catchAll) prog.push(insn(ALU32_MOV_K, R0, 0, 0, 0), insn(JMP_EXIT, 0, 0, 0, 0));
  return prog;
}

/** struct bpf_insn[] as the kernel reads it (little-endian: code, dst|src<<4, off, imm). */
export function encodeProgram(prog: Insn[]): Buffer {
  const b = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    b.writeUInt8(p.code, i * 8);
    b.writeUInt8((p.dst & 0xf) | ((p.src & 0xf) << 4), i * 8 + 1);
    b.writeInt16LE(p.off, i * 8 + 2);
    b.writeInt32LE(p.imm, i * 8 + 4);
  });
  return b;
}
