// Preloaded (-r) into a profiled router: exit normally on SIGTERM so `node --cpu-prof` writes its
// profile (a process killed by a signal writes none). Registered first, so it runs before Nest's hooks.
process.on('SIGTERM', () => process.exit(0));
