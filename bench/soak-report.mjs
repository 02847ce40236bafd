// The soak's report: what was served, errors by kind, the router's RSS and its open sockets and file
// descriptors, and the checks; `ok` of a check is true, false or 'skip'.
const mb = (b) => `${(b / 1048576).toFixed(1)} MiB`;

/** Prints the report to stdout; true when every check passes (a skipped one counts as passed). */
export function printSoakReport({ args, stats, rss, windowMs, timeline, fds, sockets, routerPort, upstream, peakUpstreamSockets, memoryJudged }) {
  const clientSockets = sockets.filter((s) => s.localPort === routerPort && s.state !== 'LISTEN');
  const upstreamSockets = sockets.filter((s) => s.remotePort === upstream.port);
  const closeWait = sockets.filter((s) => s.state === 'CLOSE_WAIT');
  const listening = sockets.filter((s) => s.state === 'LISTEN');
  const growth = (rss.end - rss.warm) / rss.warm;

  const served = stats.total();
  process.stdout.write(`\nrequests: ${served} in ${args.seconds} s (${(served / args.seconds).toFixed(1)}/s)\n`);
  process.stdout.write('scenario          ok    clean_error  client_abort  lost\n');
  for (const [name, o] of Object.entries(stats.byScenario).sort()) {
    process.stdout.write(`${name.padEnd(16)} ${String(o.ok).padStart(5)} ${String(o.clean_error).padStart(12)} ${String(o.client_abort).padStart(13)} ${String(o.lost).padStart(5)}\n`);
  }
  for (const sample of stats.lostSamples) process.stdout.write(`  lost: ${sample}\n`);
  process.stdout.write(
    `\nrouter RSS: start ${mb(rss.start)}, after warm-up ${mb(rss.warm)}, end of load ${mb(rss.end)}, idle after it ${mb(rss.settled)}, ` +
      `peak ${mb(rss.peak)} (growth after warm-up ${(growth * 100).toFixed(1)}%; warm-up and end are medians over ${windowMs / 1000} s)\n`,
  );
  process.stdout.write(`router RSS over time (MiB): ${timeline.join(', ')}\n`);
  process.stdout.write(
    `router at end: ${fds} file descriptors, ${sockets.length} TCP sockets (${listening.length} listening, ${clientSockets.length} from clients, ` +
      `${upstreamSockets.length} idle to the upstream (peak during load ${peakUpstreamSockets}), ${closeWait.length} in CLOSE_WAIT); ` +
      `upstream requests still running: ${upstream.openRequests()}\n`,
  );

  const checks = [
    ['no request lost', stats.lostCount === 0 && served > 0],
    ['RSS growth after warm-up < 10%', memoryJudged ? growth < 0.1 : 'skip'],
    ['no client connection left open', clientSockets.length === 0],
    ['upstream sockets back to the idle pool', upstreamSockets.every((s) => s.state === 'ESTABLISHED') && upstreamSockets.length <= Math.max(peakUpstreamSockets, args.concurrency)],
    ['nothing in CLOSE_WAIT', closeWait.length === 0],
    ['no upstream request left running', upstream.openRequests() === 0],
  ];
  process.stdout.write('\n');
  for (const [name, ok] of checks) {
    process.stdout.write(`${ok === 'skip' ? 'SKIP' : ok ? 'PASS' : 'FAIL'}  ${name}${ok === 'skip' ? ' (needs --seconds 40 or more)' : ''}\n`);
  }
  return checks.every(([, ok]) => ok);
}
