'use strict'
// The undici suites' requests and their loop, shared by the suite's client (client.js)
// and its in-memory ceiling (ceiling.js), so both measure the same client code.
const path = require('node:path')

const undici = require(require.resolve('undici', { paths: [path.dirname(require.resolve('@gazelle/undici'))] }))

// undici.request(), the body read as text.
function viaRequest (dispatcher, origin, options) {
  return undici.request(origin, { dispatcher, ...options }).then(async (res) => {
    await res.body.text()
    return res.statusCode
  })
}

// The Dispatcher API with a minimal handler: less of undici's own JS per request.
function viaDispatch (dispatcher, origin, options) {
  return new Promise((resolve, reject) => {
    let status = 0
    dispatcher.dispatch({ origin, path: '/', method: 'GET', ...options }, {
      onConnect () {},
      onHeaders (statusCode) { status = statusCode; return true },
      onData () { return true },
      onComplete () { resolve(status) },
      onError: reject
    })
  })
}

// `count` GETs from `workers` loops, each waiting for its answer; each request's latency
// (us) into `times` when given.
async function runRequests ({ dispatcher, origin, api, options = {}, workers, count, times }) {
  const send = api === 'dispatch' ? viaDispatch : viaRequest
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      const start = process.hrtime.bigint()
      const status = await send(dispatcher, origin, options)
      if (status !== 200) throw new Error(`status ${status}`)
      if (times) times[i] = Number(process.hrtime.bigint() - start) / 1000
    }
  }
  await Promise.all(Array.from({ length: workers }, worker))
}

module.exports = { undici, runRequests }
