// A supervised stand-in for a failing service: prints its start-up and a few error lines (and EXTRA_LOG_LINE when set), idles, exits promptly on SIGTERM.
console.log(`target ${process.env.TARGET_NAME ?? ''} ready`);
console.log('INFO GET /predict status=200 in 12 ms');
console.log('ERROR GET /predict status=500 Internal Server Error');
console.log('ERROR GET /predict status=500 Internal Server Error');
console.log('TypeError: Cannot read properties of undefined (reading "close")');
if (process.env.EXTRA_LOG_LINE) console.log(process.env.EXTRA_LOG_LINE);
const timer = setInterval(() => {}, 60_000);
process.on('SIGTERM', () => {
  clearInterval(timer);
  process.exit(0);
});
