// A js-libp2p node with exactly the stack snapstream speaks: TCP, Noise, Yamux.
import './polyfill.mjs'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

export async function createNode (listen) {
  return createLibp2p({
    addresses: { listen: listen ? ['/ip4/127.0.0.1/tcp/0'] : [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}

/** Reads a stream to its end (the remote closed its writable side). */
export async function readAll (stream) {
  const parts = []
  let total = 0
  for await (const chunk of stream) {
    const bytes = chunk.subarray()
    parts.push(bytes)
    total += bytes.length
  }
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.length }
  return out
}

/** Sends `bytes` (waiting for the send buffer to drain), then half-closes. */
export async function sendAndClose (stream, bytes) {
  if (!stream.send(bytes)) await stream.onDrain()
  await stream.close()
}
