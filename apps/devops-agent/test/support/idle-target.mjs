// A supervised stand-in for a service container: prints a line, idles, exits promptly on SIGTERM.
console.log(`target ${process.env.TARGET_NAME ?? ''} ready`);
const timer = setInterval(() => {}, 60_000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
