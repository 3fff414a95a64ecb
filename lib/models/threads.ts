import { readFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";

/**
 * Physical cores from /proc/cpuinfo text: distinct (physical id, core id) pairs. Null when the text does not
 * say (not Linux, or a kernel that hides the topology).
 */
export function physicalCoresFromCpuinfo(cpuinfo: string): number | null {
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size > 0 ? cores.size : null;
}

/**
 * The default number of threads for the embedded engine: the machine's physical cores (llama.cpp gains nothing
 * from SMT siblings), never more than this process may use (affinity, cgroup-limited parallelism).
 * Off Linux, when the topology is unknown: the logical CPUs, halved when there are 4 or more (SMT assumed).
 *
 * Measured on a busy 2-core machine: on the tiny test model, 1 thread was ~15× faster than 2 (llama.cpp's
 * spinning thread pool fights the other processes), which is why tests and the engine benchmark pass 1.
 */
export function defaultThreads(): number {
  const usable = Math.max(1, availableParallelism());
  let physical: number | null;
  try {
    physical = physicalCoresFromCpuinfo(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    physical = null;
  }
  if (physical === null) {
    const logical = cpus().length || usable;
    physical = logical >= 4 ? Math.floor(logical / 2) : logical;
  }
  return Math.max(1, Math.min(physical, usable));
}
