import net from 'node:net';

export interface CuttingProxy {
  baseUrl: string;
  /** Destroys every connection open now, as a network failure would; returns how many. */
  cutAll(): number;
  close(): Promise<void>;
}

/** A TCP proxy in front of `port` whose connections the test can cut at will. */
export async function cuttingProxy(port: number): Promise<CuttingProxy> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    open.add(client);
    const drop = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    cutAll() {
      const count = open.size;
      open.forEach((socket) => socket.destroy());
      return count;
    },
    close: () => {
      open.forEach((socket) => socket.destroy());
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
