// The kernel image a guest boots: the vmlinux when it has a PVH entry point
// (QEMU skips the decompressor), else the bzImage; and a kernel given by path
// described like a built one (hash, the vmlinux of the same build).
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UserError } from '../core/errors.ts';
import type { MeasureKernel } from '../core/measure/types.ts';
import { sha256File } from './digest.ts';
import { hasPvhEntry } from './guest/pvh.ts';

async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

// Picks the image QEMU boots: the vmlinux when it has a PVH entry point, else the bzImage.
export async function chooseKernelImage(kernel: MeasureKernel): Promise<{ image: string; pvh: boolean }> {
  if (kernel.vmlinux !== undefined && (await fileExists(kernel.vmlinux)) && (await hasPvhEntry(kernel.vmlinux))) {
    return { image: kernel.vmlinux, pvh: true };
  }
  if (!(await fileExists(kernel.bzImage))) {
    throw new UserError(`kernel image not found: ${kernel.bzImage}`, 'give the bzImage of a built guest kernel (arch/x86/boot/bzImage in the build dir)');
  }
  return { image: kernel.bzImage, pvh: false };
}

// Describes a kernel given by path: hashes the image and finds the vmlinux of the same
// build (<O>/vmlinux for <O>/arch/x86/boot/bzImage, or beside the bzImage in the
// kernel cache) so it can be booted via PVH.
export async function kernelFromImage(kernelPath: string, vmlinuxPath?: string, cwd: string = process.cwd()): Promise<MeasureKernel> {
  const image = resolve(cwd, kernelPath);
  if (!(await fileExists(image))) {
    throw new UserError(`--kernel: no such file: ${kernelPath}`, 'give the bzImage of a built guest kernel (arch/x86/boot/bzImage in the build dir)');
  }
  const imageHash = await sha256File(image);
  if (await hasPvhEntry(image)) return { bzImage: image, vmlinux: image, imageHash };
  let vmlinux = vmlinuxPath === undefined ? undefined : resolve(cwd, vmlinuxPath);
  if (vmlinux !== undefined && !(await fileExists(vmlinux))) throw new UserError(`--vmlinux: no such file: ${vmlinuxPath ?? ''}`);
  if (vmlinux === undefined) {
    // a build dir keeps it at <O>/vmlinux; kbisect's kernel cache beside the bzImage
    const candidates = [join(dirname(image), 'vmlinux')];
    if (image.endsWith(join('arch', 'x86', 'boot', 'bzImage'))) candidates.unshift(join(dirname(dirname(dirname(dirname(image)))), 'vmlinux'));
    for (const c of candidates) {
      if (vmlinux === undefined && (await fileExists(c))) vmlinux = c;
    }
  }
  return { bzImage: image, ...(vmlinux === undefined ? {} : { vmlinux }), imageHash };
}
