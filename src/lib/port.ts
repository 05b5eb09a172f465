import { createServer } from 'node:net';

// Whether this process can listen where it is configured to, asked before it starts anything: a server
// that first starts its devnets, funds wallets and opens pools, then finds its port taken, has done all of
// that for nothing and used to die with a raw EADDRINUSE stack.

/** Why listening on host:port would fail (in use, not allowed), or null when it would work. */
export function portProblem(port: number, host: string): Promise<string | null> {
  if (port === 0) return Promise.resolve(null); // any free port: nothing to check
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolve(`port ${port} on ${host} is already in use`);
      else if (err.code === 'EACCES') resolve(`port ${port} on ${host} needs privileges this process lacks`);
      else resolve(`cannot listen on ${host}:${port}: ${err.message}`);
    });
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}
