// Browser test of the operator's dashboard (ui/), run by CTest (ui_dashboard,
// label integration) as: SNAPSTREAM_BIN=<snapstream> node tests/ui/dashboard.test.mjs
//
// Starts two real nodes as scripts/demo.sh does (A holds an 8 MiB state and
// its snapshot; B trusts A and knows its address), opens B's page in Debian's
// headless Chromium (puppeteer-core, no browser download) and drives it as an
// operator would: the token form, a sync from A to the end, and an XSS probe
// through the start form. Fails on any console or page error the test did not
// provoke itself, and when the first load transfers 200 KiB or more.
// Saves a screenshot of the finished sync to $SNAPSTREAM_BUILD_DIR/ui-dashboard.png
// (and to docs/dashboard.png with SNAPSTREAM_UPDATE_SCREENSHOT=1).
// Exits 77 (CTest's SKIP_RETURN_CODE) when /usr/bin/chromium is absent.
// Installs the pinned packages (npm ci) first when node_modules is missing.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { chmodSync, copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'

const CHROMIUM = '/usr/bin/chromium'
const SKIP = 77
const FIRST_LOAD_LIMIT = 200 * 1024
const SYNC_TIMEOUT = 180_000
const STEP_TIMEOUT = 30_000

const here = dirname(fileURLToPath(import.meta.url))
const repo = join(here, '..', '..')

if (!existsSync(CHROMIUM)) {
  console.log(`SKIP: ${CHROMIUM} is absent (scripts/setup.sh installs Debian's chromium); the dashboard test needs a browser`)
  process.exit(SKIP)
}
const bin = process.env.SNAPSTREAM_BIN
if (!bin || !existsSync(bin)) throw new Error('SNAPSTREAM_BIN must name the snapstream binary')

if (!existsSync(join(here, 'node_modules', 'puppeteer-core', 'package.json'))) {
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: here, stdio: 'inherit', timeout: 300_000, env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' }
  })
  if (ci.status !== 0) throw new Error(`npm ci failed (status ${ci.status}, signal ${ci.signal})`)
}
const { default: puppeteer } = await import('puppeteer-core')

// ------------------------------------------------------------------ the nodes

const work = mkdtempSync(join(tmpdir(), 'snapstream-ui-'))
const nodes = []                        // { name, child, log, id, p2p, http }

/** Runs a snapstream command to completion and returns its stdout. */
function run (...args) {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) throw new Error(`snapstream ${args.join(' ')} failed (status ${r.status}): ${r.stderr}`)
  return r.stdout.trim()
}

/** Starts `snapstream node` and resolves once it printed `node peer_id=... p2p=... http=...`. */
function startNode (name, trust, peers, http = '127.0.0.1:0') {
  const logPath = join(work, `${name}.log`)
  const args = ['node', '--data-dir', join(work, name), '--key', join(work, `${name}.key`),
    '--p2p-listen', '/ip4/127.0.0.1/tcp/0', '--http-listen', http,
    '--token-file', join(work, 'token'), '--trust', trust]
  for (const p of peers) args.push('--peer', p)
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const entry = { name, child, logPath }
  nodes.push(entry)
  child.stderr.pipe(createWriteStream(logPath))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node ${name} did not start within 30 s:\n${tail(logPath)}`)), 30_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('node peer_id=')) return
      clearTimeout(timer)
      const field = (key) => (line.match(new RegExp(`(?:^| )${key}=(\\S+)`)) || [])[1]
      Object.assign(entry, { id: field('node peer_id'), p2p: field('p2p').split(',')[0], http: field('http') })
      resolve(entry)
    })
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      reject(new Error(`node ${name} exited early (${code ?? signal}):\n${tail(logPath)}`))
    })
  })
}

function tail (path, lines = 40) {
  try { return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n') } catch { return '(no log)' }
}

/** SIGTERM, then SIGKILL after 15 s; resolves when the node is gone. */
function stopNode (entry) {
  const { child } = entry
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', () => { clearTimeout(kill); resolve() })
    child.kill('SIGTERM')
  })
}

// Whatever happens, no node outlives the test and the work dir goes.
process.on('exit', () => {
  for (const { child } of nodes) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1))

// ------------------------------------------------------------------ the browser

let browser
let page
let A
let B
const token = randomBytes(32).toString('hex')
const problems = []                     // console and page errors nobody expected
// Network errors the test provokes itself, each allowed as often as listed.
const allowed = [
  { status: 401, path: '/node', count: 2 },           // the first load without a token, then the wrong token
  { status: 400, path: '/p2p/snapshots', count: 1 }   // the XSS probe's refused start
]
let firstLoadBytes = 0
let measuring = true
const xRequests = []                    // requests for the probe's image "x"

let nodeDown = false                    // B is stopped on purpose: failed loads are expected

function expectedNetworkError (message) {
  if (nodeDown && /^Failed to load resource: net::ERR_/.test(message.text())) return true
  const m = /^Failed to load resource: the server responded with a status of (\d+)/.exec(message.text())
  if (!m) return false
  const path = new URL(message.location().url || 'http://invalid/').pathname
  const slot = allowed.find((a) => a.status === Number(m[1]) && a.path === path && a.count > 0)
  if (!slot) return false
  slot.count--
  return true
}

before(async () => {
  const ids = {}
  for (const n of ['A', 'B']) ids[n] = run('keygen', '--out', join(work, `${n}.key`))
  run('state', 'generate', '--data-dir', join(work, 'A'), '--bytes', '8MiB', '--seed', '1')
  run('snapshot', 'create', '--data-dir', join(work, 'A'), '--key', join(work, 'A.key'))
  writeFileSync(join(work, 'token'), token + '\n')
  chmodSync(join(work, 'token'), 0o600)
  A = await startNode('A', ids.A, [])
  B = await startNode('B', ids.A, [A.p2p])
  assert.equal(A.id, ids.A)
  assert.equal(B.id, ids.B)

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: join(work, 'chromium'),
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', '--disable-extensions']
  })
  page = await browser.newPage()
  await page.setViewport({ width: 1280, height: 1000 })
  page.on('console', (message) => {
    if (message.type() !== 'error' || expectedNetworkError(message)) return
    problems.push(`console ${message.type()}: ${message.text()} (${message.location().url ?? ''})`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('request', (request) => { if (new URL(request.url()).pathname.endsWith('/x')) xRequests.push(request.url()) })
  const cdp = await page.createCDPSession()
  await cdp.send('Network.enable')
  cdp.on('Network.loadingFinished', (e) => { if (measuring) firstLoadBytes += e.encodedDataLength })
})

after(async () => {
  if (browser) await browser.close().catch(() => {})
  await Promise.all(nodes.map(stopNode))
  for (const n of nodes) if (n.child.exitCode !== 0 && n.child.exitCode !== null) console.log(`node ${n.name} exited ${n.child.exitCode}:\n${tail(n.logPath)}`)
})

/** Waits for `fn` in the page; on timeout, says what the page showed. */
async function waitInPage (what, fn, arg, timeout = STEP_TIMEOUT) {
  try {
    await page.waitForFunction(fn, { timeout, polling: 'mutation' }, arg)
  } catch (e) {
    const shown = await page.evaluate(() => document.body?.innerText ?? '').catch(() => '')
    throw new Error(`${what}: ${e.message}\npage shows:\n${shown.slice(0, 3000)}\nnode B log:\n${tail(B.logPath, 20)}`)
  }
}

// ------------------------------------------------------------------ the steps

// Each step goes on from where the one before left the page: after a failure
// the later steps are skipped (the last one, the error check, always runs).
let failedStep = null

function step (name, timeout, fn) {
  test(name, { timeout }, async (t) => {
    if (failedStep !== null) return t.skip(`the step before failed: ${failedStep}`)
    failedStep = name
    await fn()
    failedStep = null
  })
}

step('the page asks for the token, refuses a wrong one and loads the node with the right one', 60_000, async () => {
  await page.goto(`http://${B.http}/`, { waitUntil: 'load' })
  await waitInPage('the token form appears', () => document.querySelector('#token-form')?.checkVisibility() === true)
  // The first load ends here: the page, its assets and the refused GET /node.
  await page.waitForNetworkIdle({ idleTime: 300, timeout: STEP_TIMEOUT })
  measuring = false
  console.log(`first load: ${firstLoadBytes} bytes transferred (${(firstLoadBytes / 1024).toFixed(1)} KiB)`)
  assert.ok(firstLoadBytes > 0, 'no transfer measured')
  assert.ok(firstLoadBytes < FIRST_LOAD_LIMIT, `first load transferred ${firstLoadBytes} bytes, limit ${FIRST_LOAD_LIMIT}`)

  await page.type('#token', 'not-the-token')
  await page.click('#token-submit')
  await waitInPage('the wrong token is refused', () => document.querySelector('#token-error').textContent.trim() !== '')
  assert.match(await page.$eval('#token-error', (e) => e.textContent), /invalid bearer token/)
  assert.equal(await page.$eval('#token-form', (e) => e.checkVisibility()), true)

  await page.type('#token', token)
  await page.click('#token-submit')
  await waitInPage('the node panel shows B', (id) => document.querySelector('#node-peer-id').textContent === id, B.id)
  assert.equal(await page.$eval('#token-form', (e) => e.checkVisibility()), false)
  assert.equal(await page.evaluate(() => sessionStorage.length), 1, 'the token is kept in sessionStorage')
  assert.ok(!page.url().includes(token), 'the token is never in a URL')
  await waitInPage('the event stream is live', () => document.querySelector('#stream-status').textContent === 'live')
})

step('a sync started from the page runs to verified, with its progress and events', SYNC_TIMEOUT + 30_000, async () => {
  await page.type('#sync-peers', A.id)
  await page.type('#sync-chunk-size', '1048576')
  const [started] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/p2p/snapshots' && r.request().method() === 'POST', { timeout: STEP_TIMEOUT }),
    page.click('#sync-start')
  ])
  assert.equal(started.status(), 200, await started.text())
  const session = String((await started.json()).session)
  await waitInPage('the job reaches 100% and verified, and HeadVerified is logged', (s) => {
    const job = document.querySelector(`#jobs [data-session="${s}"]`)
    return job !== null &&
      job.querySelector('.percent').textContent === '100%' &&
      job.querySelector('.state').textContent === 'verified' &&
      document.querySelector('#event-log li[data-type="HeadVerified"]') !== null
  }, session, SYNC_TIMEOUT)
  const job = await page.$(`#jobs [data-session="${session}"]`)
  assert.equal(await job.$eval('progress.progress', (p) => p.value === p.max && p.max > 0), true)
  assert.equal(await job.$eval('.last-error', (e) => e.textContent), '')
  assert.ok(await job.$(`[data-peer="${A.id}"]`), 'the job lists A as its provider')
  assert.equal(await page.$eval('#stream-status', (e) => e.textContent), 'live')
  // B verified the snapshot and now serves it: the node panel lists it.
  await waitInPage('the node panel lists the synced snapshot', () =>
    /^[0-9a-f]{64}$/.test(document.querySelector('#node-snapshots td.id')?.title ?? ''))

  const shot = join(process.env.SNAPSTREAM_BUILD_DIR || tmpdir(), 'ui-dashboard.png')
  mkdirSync(dirname(shot), { recursive: true })
  await page.screenshot({ path: shot, fullPage: true })
  console.log(`screenshot: ${shot}`)
  if (process.env.SNAPSTREAM_UPDATE_SCREENSHOT === '1') {
    copyFileSync(shot, join(repo, 'docs', 'dashboard.png'))
    console.log('screenshot copied to docs/dashboard.png')
  }
})

step('a peer id carrying markup is shown as text, never run', 60_000, async () => {
  const probe = '<img src=x onerror="window.__xss=1">'
  await page.$eval('#sync-peers', (e) => { e.value = '' })
  await page.type('#sync-peers', probe)
  await page.click('#sync-start')
  await waitInPage('the API\'s error is shown', () => document.querySelector('#action-error').textContent.includes('<img'))
  const shown = await page.$eval('#action-error', (e) => e.textContent)
  assert.match(shown, /invalid peer id/)
  assert.match(shown, /invalid_argument/)
  // Markup rendered as HTML would have made an element at once, on insertion:
  // there is none anywhere, so nothing can load or fire later.
  assert.equal(await page.$$eval('#action-error img', (l) => l.length), 0)
  assert.equal(await page.$$eval('img', (l) => l.length), 0, 'the page has no img element at all')
  assert.equal(await page.evaluate(() => typeof window.__xss), 'undefined')
  assert.deepEqual(xRequests, [], 'the probe\'s image was never requested')
})

step('the other actions answer as the API does', 60_000, async () => {
  const result = () => document.querySelector('#action-result').textContent
  await page.click('#breaker-reset')
  await waitInPage('the breaker reset is confirmed', () => document.querySelector('#action-result').textContent === 'Every breaker is closed.')
  await page.click('#snapshot-create')
  await waitInPage('the snapshot is named', () => /^Snapshot at height 1: plan [0-9a-f]{64}/.test(document.querySelector('#action-result').textContent))
  assert.equal(await page.$eval('#action-error', (e) => e.textContent), '')
  // Cancelling the verified job removes it from the page (and the node).
  const job = await page.$('#jobs [data-session]')
  const session = await job.evaluate((e) => e.dataset.session)
  await job.$eval('button.cancel', (b) => b.click())
  await waitInPage('the job is gone', (s) => document.querySelector(`#jobs [data-session="${s}"]`) === null, session)
  assert.match(await page.evaluate(result), new RegExp(`^Session ${session} cancelled`))
})

step('a dropped event stream is said, and the page reconnects when the node is back', 90_000, async () => {
  const port = B.http.split(':').pop()
  nodeDown = true
  await stopNode(B)
  await waitInPage('the page says the stream dropped', () => document.querySelector('#stream-status').textContent.startsWith('reconnecting'))
  // The same node again, on the same HTTP port: the page finds it by itself.
  nodes.splice(nodes.indexOf(B), 1)
  B = await startNode('B', A.id, [A.p2p], `127.0.0.1:${port}`)
  await waitInPage('the stream is live again', () => document.querySelector('#stream-status').textContent === 'live', undefined, 60_000)
  nodeDown = false
})

test('no console or page error happened', () => {
  assert.deepEqual(problems, [])
})
