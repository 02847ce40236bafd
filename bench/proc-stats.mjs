// What /proc says about a process: CPU time, resident memory, file descriptors and TCP sockets.
// The bench (run.mjs) reads a process with its children; the soak (soak.mjs) reads the router alone.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

// ---------------------------------------------------------------- a process and its children (bench)

function statusKb(pid, field) {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function processTree(pid) {
  const pids = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (kids) for (const k of kids.split(/\s+/)) pids.push(...processTree(Number(k)));
    }
  } catch {
    // gone
  }
  return pids;
}

/** CPU time (user + system) a process and its children used so far, in ms. */
export function cpuMs(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

export function rssMb(pid) {
  return Math.round(processTree(pid).reduce((s, p) => s + statusKb(p, 'VmRSS'), 0) / 102.4) / 10;
}

/** Samples the RSS of a process and its children every 100 ms; stop() gives the peak in MB. */
export function rssSampler(pid, freshProcess) {
  let peakKb = 0;
  const sample = () => {
    const pids = processTree(pid);
    const rss = pids.reduce((s, p) => s + statusKb(p, 'VmRSS'), 0);
    // VmHWM is the peak over the process's life: only meaningful when it served this scenario alone.
    const hwm = freshProcess && pids.length === 1 ? statusKb(pid, 'VmHWM') : 0;
    peakKb = Math.max(peakKb, rss, hwm);
  };
  sample();
  const timer = setInterval(sample, 100);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return Math.round(peakKb / 102.4) / 10;
    },
  };
}

// ---------------------------------------------------------------- one process (soak)

/** The RSS of one process in bytes; unlike the readings above, it throws when the process is gone. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

const TCP_STATES = { '01': 'ESTABLISHED', '06': 'TIME_WAIT', '08': 'CLOSE_WAIT', '0A': 'LISTEN', '04': 'FIN_WAIT1', '05': 'FIN_WAIT2', '09': 'LAST_ACK', '07': 'CLOSE' };

/** A process's file descriptors, and its TCP sockets with ports and states. */
export function resources(pid) {
  const fdDir = `/proc/${pid}/fd`;
  const inodes = new Set();
  let fds = 0;
  for (const fd of readdirSync(fdDir)) {
    fds++;
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(join(fdDir, fd)));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while we looked
    }
  }
  const sockets = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (!inodes.has(f[9])) continue;
      sockets.push({
        localPort: parseInt(f[1].split(':')[1], 16),
        remotePort: parseInt(f[2].split(':')[1], 16),
        state: TCP_STATES[f[3]] ?? f[3],
      });
    }
  }
  return { fds, sockets };
}
