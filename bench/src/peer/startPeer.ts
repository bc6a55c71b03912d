import { spawn, type ChildProcess } from 'node:child_process';
import { NODE_TUNING, pinned, repoRoot, serverRuntime, track } from '../lib/load';

export interface Peer {
  child: ChildProcess;
  url: string;
  /** Headers that make the peer forward to `upstreamUrl` as an OpenAI-compatible provider. */
  headers: Record<string, string>;
}

/**
 * Starts the peer gateway (@portkey-ai/gateway) pinned to core 0 like every benchmarked gateway,
 * forced onto 127.0.0.1 (it binds every interface otherwise), on the runtime of useRuntime(), and
 * waits until it answers. Port 0 (the default) takes a free port, which force-loopback.cjs reports.
 */
export async function startPeer(upstreamUrl: string, port = 0): Promise<Peer> {
  const [cmd, args] = pinned(0, serverRuntime(), [
    ...NODE_TUNING,
    '--require',
    './bench/src/peer/force-loopback.cjs',
    'node_modules/@portkey-ai/gateway/build/start-server.js',
    `--port=${port}`,
    '--headless',
  ]);
  const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  child.stderr!.resume();
  const bound = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the peer gateway did not listen within 60 s')), 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve(Number(m[1]));
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the peer gateway exited with ${code}`));
    });
  });
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`http://127.0.0.1:${bound}/`).then(
        () => true,
        () => false,
      )
    )
      break;
    if (child.exitCode !== null) throw new Error(`the peer gateway exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    url: `http://127.0.0.1:${bound}/v1/chat/completions`,
    headers: {
      authorization: 'Bearer bench',
      'x-portkey-provider': 'openai',
      'x-portkey-custom-host': `${upstreamUrl}/v1`,
    },
  };
}
