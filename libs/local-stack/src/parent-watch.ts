/**
 * Preloaded (`node --require`) into the worker and gateway that `npm start` spawns: when the
 * launcher dies without stopping them (kill -9, a crash), they get SIGTERM and shut down instead
 * of lingering as orphans that hold the port. Linux does this with PR_SET_PDEATHSIG already
 * (setpriv); this is the portable fallback (macOS) and costs one timer.
 */
const originalParent = process.ppid;

const timer = setInterval(() => {
  if (process.ppid === originalParent) return;
  clearInterval(timer);
  process.kill(process.pid, 'SIGTERM');
  // If the app's own SIGTERM handling hangs, do not linger forever.
  setTimeout(() => process.exit(1), 20_000).unref();
}, 1000);
timer.unref();

export {};
