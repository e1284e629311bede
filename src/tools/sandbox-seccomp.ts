// The seccomp filter of the bwrap sandbox: a classic BPF program, handed to bubblewrap with
// `--seccomp FD`, that refuses the system calls a read-only, offline shell never needs and an
// escape would: every socket (the network namespace has no network, but Unix sockets on the
// shared filesystem, in /var/tmp or inside the explored root, would still connect; so does a
// socketpair handed around), io_uring (its SOCKET/CONNECT operations bypass seccomp), new
// namespaces (unshare, setns, clone with CLONE_NEW*: a nested user namespace regains every
// capability), mounting, ptrace and process_vm_* (reading another process), keyrings, bpf,
// perf_event_open and userfaultfd (common kernel-exploit primitives), module and kexec loading.
// Everything else is allowed. An architecture the filter does not know kills the process:
// its system call numbers would mean something else (the probe then falls back to allow-list).

import { endianness } from 'node:os';

/** Linux audit architecture values (linux/audit.h). */
const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;

type Arch = keyof typeof AUDIT_ARCH;

const EACCES = 13;
const EPERM = 1;
const ENOSYS = 38;

/** Numbers per architecture: x86_64 from asm/unistd_64.h, arm64 from asm-generic/unistd.h. */
const DENIED: { name: string; errno: number; numbers: Record<Arch, number> }[] = [
  // EACCES: programs report "Permission denied", which says what happened.
  { name: 'socket', errno: EACCES, numbers: { x64: 41, arm64: 198 } },
  { name: 'socketpair', errno: EACCES, numbers: { x64: 53, arm64: 199 } },
  { name: 'io_uring_setup', errno: EPERM, numbers: { x64: 425, arm64: 425 } },
  { name: 'io_uring_enter', errno: EPERM, numbers: { x64: 426, arm64: 426 } },
  { name: 'io_uring_register', errno: EPERM, numbers: { x64: 427, arm64: 427 } },
  { name: 'unshare', errno: EPERM, numbers: { x64: 272, arm64: 97 } },
  { name: 'setns', errno: EPERM, numbers: { x64: 308, arm64: 268 } },
  // ENOSYS: clone3 passes its flags in memory a filter cannot read; libc falls back to clone.
  { name: 'clone3', errno: ENOSYS, numbers: { x64: 435, arm64: 435 } },
  { name: 'mount', errno: EPERM, numbers: { x64: 165, arm64: 40 } },
  { name: 'umount2', errno: EPERM, numbers: { x64: 166, arm64: 39 } },
  { name: 'pivot_root', errno: EPERM, numbers: { x64: 155, arm64: 41 } },
  { name: 'chroot', errno: EPERM, numbers: { x64: 161, arm64: 51 } },
  { name: 'open_tree', errno: EPERM, numbers: { x64: 428, arm64: 428 } },
  { name: 'move_mount', errno: EPERM, numbers: { x64: 429, arm64: 429 } },
  { name: 'fsopen', errno: EPERM, numbers: { x64: 430, arm64: 430 } },
  { name: 'fsconfig', errno: EPERM, numbers: { x64: 431, arm64: 431 } },
  { name: 'fsmount', errno: EPERM, numbers: { x64: 432, arm64: 432 } },
  { name: 'fspick', errno: EPERM, numbers: { x64: 433, arm64: 433 } },
  { name: 'mount_setattr', errno: EPERM, numbers: { x64: 442, arm64: 442 } },
  { name: 'name_to_handle_at', errno: EPERM, numbers: { x64: 303, arm64: 264 } },
  { name: 'open_by_handle_at', errno: EPERM, numbers: { x64: 304, arm64: 265 } },
  { name: 'ptrace', errno: EPERM, numbers: { x64: 101, arm64: 117 } },
  { name: 'process_vm_readv', errno: EPERM, numbers: { x64: 310, arm64: 270 } },
  { name: 'process_vm_writev', errno: EPERM, numbers: { x64: 311, arm64: 271 } },
  { name: 'add_key', errno: EPERM, numbers: { x64: 248, arm64: 217 } },
  { name: 'request_key', errno: EPERM, numbers: { x64: 249, arm64: 218 } },
  { name: 'keyctl', errno: EPERM, numbers: { x64: 250, arm64: 219 } },
  { name: 'bpf', errno: EPERM, numbers: { x64: 321, arm64: 280 } },
  { name: 'perf_event_open', errno: EPERM, numbers: { x64: 298, arm64: 241 } },
  { name: 'userfaultfd', errno: EPERM, numbers: { x64: 323, arm64: 282 } },
  { name: 'init_module', errno: EPERM, numbers: { x64: 175, arm64: 105 } },
  { name: 'finit_module', errno: EPERM, numbers: { x64: 313, arm64: 273 } },
  { name: 'delete_module', errno: EPERM, numbers: { x64: 176, arm64: 106 } },
  { name: 'kexec_load', errno: EPERM, numbers: { x64: 246, arm64: 104 } },
  { name: 'kexec_file_load', errno: EPERM, numbers: { x64: 320, arm64: 294 } },
];

const CLONE_NUMBER: Record<Arch, number> = { x64: 56, arm64: 220 };
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME. */
const CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x80;
/** x86_64 system call numbers with this bit set are the x32 ABI: refused as a whole. */
const X32_SYSCALL_BIT = 0x40000000;

// BPF opcodes (linux/filter.h, linux/bpf_common.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;
const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const retErrno = (errno: number) => 0x00050000 | errno;
/** Offsets into struct seccomp_data: nr, arch, then args[0] (the low word on little-endian). */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const OFFSET_ARG0_LOW = 16;

interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

const ins = (code: number, k: number, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k });

/** The checks for one architecture, ending in ALLOW; entered with nothing loaded. */
function archBlock(arch: Arch): Instruction[] {
  const block: Instruction[] = [ins(LD_W_ABS, OFFSET_NR)];
  if (arch === 'x64') block.push(ins(JGE_K, X32_SYSCALL_BIT, 0, 1), ins(RET_K, retErrno(ENOSYS)));
  for (const entry of DENIED) block.push(ins(JEQ_K, entry.numbers[arch], 0, 1), ins(RET_K, retErrno(entry.errno)));
  // clone: allowed unless it asks for a new namespace (then the flags word is loaded and tested).
  block.push(
    ins(JEQ_K, CLONE_NUMBER[arch], 0, 3),
    ins(LD_W_ABS, OFFSET_ARG0_LOW),
    ins(JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1),
    ins(RET_K, retErrno(EPERM)),
    ins(RET_K, RET_ALLOW),
  );
  return block;
}

/**
 * The filter as bwrap reads it from `--seccomp FD`: an array of struct sock_filter in host byte
 * order. Both supported architectures are checked in one program, so the host's own
 * architecture needs no detection; any other audit architecture (i386 system calls made by a
 * 64-bit process, or an unknown machine) kills the calling process.
 */
export function seccompProgram(): Buffer {
  const program: Instruction[] = [ins(LD_W_ABS, OFFSET_ARCH)];
  for (const arch of Object.keys(AUDIT_ARCH) as Arch[]) {
    const block = archBlock(arch);
    if (block.length > 255) throw new Error('seccomp block too long for a BPF jump');
    program.push(ins(JEQ_K, AUDIT_ARCH[arch], 0, block.length), ...block);
  }
  program.push(ins(RET_K, RET_KILL_PROCESS));
  const buffer = Buffer.alloc(program.length * 8);
  const bigEndian = endianness() === 'BE';
  program.forEach((instruction, index) => {
    const offset = index * 8;
    if (bigEndian) buffer.writeUInt16BE(instruction.code, offset);
    else buffer.writeUInt16LE(instruction.code, offset);
    buffer.writeUInt8(instruction.jt, offset + 2);
    buffer.writeUInt8(instruction.jf, offset + 3);
    if (bigEndian) buffer.writeUInt32BE(instruction.k >>> 0, offset + 4);
    else buffer.writeUInt32LE(instruction.k >>> 0, offset + 4);
  });
  return buffer;
}

/** The system calls the filter refuses, for documentation and tests. */
export const SECCOMP_DENIED_CALLS: readonly string[] = [...DENIED.map((entry) => entry.name), 'clone (with CLONE_NEW* flags)', 'x32 ABI calls'];
