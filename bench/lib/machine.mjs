/**
 * How much of the machine others used while a benchmark ran: the machine's busy CPU time
 * (/proc/stat) minus this process tree's (this process, its live descendants, and what the
 * ones already reaped used: cutime/cstime). The machine is shared with other engineers;
 * this says how many of its cores were someone else's during the measurement.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

const CLK_TCK = 100;

function machineBusyTicks() {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
  return cpu.slice(0, 8).reduce((s, x) => s + x, 0) - cpu[3] - cpu[4];
}

function ourTicks() {
  const stats = new Map();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
      stats.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
    } catch {
      // Gone between the listing and the read.
    }
  }
  let ticks = 0;
  const mine = new Set([process.pid]);
  // Parents appear before children often enough; loop until no process is added.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, s] of stats) if (!mine.has(pid) && mine.has(s.ppid)) (mine.add(pid), (grew = true));
  }
  for (const pid of mine) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks;
}

/** Starts a reading; `stop()` gives seconds, and the cores others kept busy on average. */
export function othersLoad() {
  const t0 = performance.now();
  const busy0 = machineBusyTicks();
  const ours0 = ourTicks();
  return {
    stop() {
      const seconds = (performance.now() - t0) / 1000;
      const others = (machineBusyTicks() - busy0 - (ourTicks() - ours0)) / CLK_TCK;
      return { seconds, cores: availableParallelism(), othersCores: Math.max(0, others / seconds) };
    },
  };
}
