'use strict'
// The server side of harness.js's protocol, shared by every benchmark server:
// 'ready' once listening; between 'cpu-start' and 'cpu-stop' its CPU (cores, all
// threads), its main thread's run-queue wait (share of the window) and the requests
// it served (when the server counts them); a clean shutdown on 'exit'.
const usage = require('./usage')

// served: a function returning the number of requests served so far (optional).
function serve (server, port, transport, served = () => 0) {
  server.listen(Number(port), () => process.send({ ready: true }))
  let u0 = usage.snapshot()
  let served0 = 0
  process.on('message', async (msg) => {
    if (msg === 'cpu-start') {
      u0 = usage.snapshot()
      served0 = served()
    }
    if (msg === 'cpu-stop') {
      const u = usage.since(u0)
      process.send({ cpu: u.cpu, wait: u.wait, seconds: u.seconds, served: served() - served0 })
    }
    if (msg === 'exit') {
      server.close()
      await transport.close()
      process.exit(0)
    }
  })
  // The harness going away (killed, crashed) must not leave a server running.
  process.on('disconnect', () => process.exit(0))
}

function runMain (main) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}

module.exports = { serve, runMain }
