// Interop cases between snapstream's libp2p host and js-libp2p, run by CTest
// (label interop) as: SNAPSTREAM_INTEROP_PEER=<interop_peer binary> node interop.test.mjs
// Installs the pinned packages (npm ci) first when node_modules is missing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const peer = process.env.SNAPSTREAM_INTEROP_PEER
if (!peer || !existsSync(peer)) throw new Error('SNAPSTREAM_INTEROP_PEER must name the interop_peer binary')

if (!existsSync(join(here, 'node_modules'))) {
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: here, stdio: 'inherit', timeout: 300_000 })
  if (ci.status !== 0) throw new Error(`npm ci failed (status ${ci.status}, signal ${ci.signal})`)
}

const RUN_TIMEOUT = 60_000

/** Starts a long-running peer and resolves with its listen address. */
function startServer (command, args) {
  const child = spawn(command, args, { cwd: here, stdio: ['pipe', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`${command} did not print LISTEN`)) }, RUN_TIMEOUT)
    createInterface({ input: child.stdout }).on('line', line => {
      if (line.startsWith('LISTEN ')) {
        clearTimeout(timer)
        resolve({ address: line.slice(7).trim(), stop: () => stopServer(child) })
      }
    })
    child.on('exit', code => { clearTimeout(timer); reject(new Error(`${command} exited with ${code}`)) })
  })
}

function stopServer (child) {
  return new Promise(resolve => {
    if (child.exitCode !== null) return resolve(child.exitCode)
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('exit', code => { clearTimeout(kill); resolve(code) })
    child.stdin.end()
  })
}

/** Runs a peer to completion: { status, stdout }. */
function runPeer (command, args) {
  const r = spawnSync(command, args, { cwd: here, encoding: 'utf8', timeout: RUN_TIMEOUT, stdio: ['ignore', 'pipe', 'inherit'] })
  return { status: r.status, stdout: r.stdout ?? '' }
}

/** The same multiaddr with another (valid) peer id. */
function withWrongPeerId (address) {
  // 12D3KooW... peer id of the libp2p spec's Ed25519 test vector: nobody here holds it.
  return address.replace(/\/p2p\/.*$/, '/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq')
}

test('js dials our listener and gets the canned response on /rpp/snapshots/1.0.0', async () => {
  const server = await startServer(peer, ['serve'])
  try {
    const r = runPeer('node', ['dial.mjs', server.address, 'plan'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /PROTOCOL \/rpp\/snapshots\/1\.0\.0 BYTES 82/)
  } finally {
    assert.equal(await server.stop(), 0)
  }
})

test('our host dials a js listener and negotiates 1.1.0 when offered', async () => {
  const server = await startServer('node', ['listen.mjs', '/rpp/snapshots/1.1.0', '/rpp/snapshots/1.0.0'])
  try {
    const r = runPeer(peer, ['request', server.address, '/rpp/snapshots/1.1.0', 'plan'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /REQUEST 1 PROTOCOL \/rpp\/snapshots\/1\.1\.0/)
    assert.match(r.stdout, /REQUEST 2 PROTOCOL \/rpp\/snapshots\/1\.1\.0/) // same connection, negotiated in full again
  } finally {
    await server.stop()
  }
})

test('our host falls back to 1.0.0 with a js listener that offers only 1.0.0', async () => {
  const server = await startServer('node', ['listen.mjs', '/rpp/snapshots/1.0.0'])
  try {
    const r = runPeer(peer, ['request', server.address, '/rpp/snapshots/1.0.0', 'plan'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /REQUEST 1 PROTOCOL \/rpp\/snapshots\/1\.0\.0/)
    assert.match(r.stdout, /REQUEST 2 PROTOCOL \/rpp\/snapshots\/1\.0\.0/) // same connection, negotiated in full again
  } finally {
    await server.stop()
  }
})

test('a peer id mismatch is refused by our dialer', async () => {
  const server = await startServer('node', ['listen.mjs', '/rpp/snapshots/1.0.0'])
  try {
    const r = runPeer(peer, ['mismatch', withWrongPeerId(server.address)])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /REFUSED .*peer id mismatch/)
  } finally {
    await server.stop()
  }
})

test('a peer id mismatch is refused by the js dialer', async () => {
  const server = await startServer(peer, ['serve'])
  try {
    const r = runPeer('node', ['dial.mjs', withWrongPeerId(server.address), 'mismatch'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /REFUSED/)
  } finally {
    assert.equal(await server.stop(), 0)
  }
})

test('a 4 MiB response from our host reaches js intact', async () => {
  const server = await startServer(peer, ['serve'])
  try {
    const r = runPeer('node', ['dial.mjs', server.address, 'big'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /BYTES 4194304/)
  } finally {
    assert.equal(await server.stop(), 0)
  }
})

test('a 4 MiB response from js reaches our host intact', async () => {
  const server = await startServer('node', ['listen.mjs', '/rpp/snapshots/1.1.0', '/rpp/snapshots/1.0.0'])
  try {
    const r = runPeer(peer, ['request', server.address, '/rpp/snapshots/1.1.0', 'big'])
    assert.equal(r.status, 0, r.stdout)
    assert.match(r.stdout, /BYTES 4194304/)
  } finally {
    await server.stop()
  }
})
