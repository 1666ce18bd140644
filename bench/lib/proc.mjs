/**
 * Reads what the kernel knows about a server's process tree: CPU time (utime + stime) and
 * resident memory, from /proc. Linux only; the benchmarks run on loopback on one machine.
 */
import { readdirSync, readFileSync } from "node:fs";

const CLK_TCK = 100; // USER_HZ on Linux
const PAGE = 4096;

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm may contain spaces or parentheses: split after the last ')'.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    return { pid, comm, ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]), rssPages: Number(fields[21]) };
  } catch {
    return null; // the process is gone
  }
}

/** `root` and every process below it. */
export function processTree(root) {
  const all = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) all.push(stat);
  }
  const children = new Map();
  for (const s of all) {
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(s);
  }
  const out = [];
  const rootStat = all.find((s) => s.pid === root);
  if (!rootStat) return out;
  const queue = [rootStat];
  while (queue.length) {
    const s = queue.shift();
    out.push(s);
    queue.push(...(children.get(s.pid) ?? []));
  }
  return out;
}

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** CPU seconds (user + system) used so far by these processes. */
export function cpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) ticks += s.utime + s.stime;
  }
  return ticks / CLK_TCK;
}

/** Resident set size in MiB, summed over these processes. */
export function rssMiB(pids) {
  let pages = 0;
  for (const pid of pids) {
    const s = readStat(pid);
    if (s) pages += s.rssPages;
  }
  return (pages * PAGE) / (1024 * 1024);
}

export function alive(pid) {
  return readStat(pid) !== null;
}
