// Preloaded into the peer gateway: it binds every interface by default; benchmarks only ever listen
// on loopback, so every listen() without an explicit host is forced onto 127.0.0.1. Each server
// also reports its port (`listening <port>` on stdout): the bench starts the peer on port 0, so two
// of them (one per runtime) can run side by side without a fixed port that could be taken.
const net = require('node:net');

// The peer has no SIGTERM handler, so the default action would end it without running exit hooks,
// and `--cpu-prof` writes its profile in one of them: exit normally instead (the bench stops every
// server with SIGTERM).
process.once('SIGTERM', () => process.exit(0));
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function patchedListen(...args) {
  if (typeof args[0] === 'object' && args[0] !== null && !Array.isArray(args[0])) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  } else if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
    else args[1] = '127.0.0.1';
  }
  this.once('listening', () => process.stdout.write(`listening ${this.address().port}\n`));
  return listen.apply(this, args);
};
