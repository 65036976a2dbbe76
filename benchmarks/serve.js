'use strict'
// The server side of harness.js's protocol, shared by every benchmark server:
// 'ready' once listening, CPU used between 'cpu-start' and 'cpu-stop', and a
// clean shutdown on 'exit'.
function serve (server, port, transport) {
  server.listen(Number(port), () => process.send({ ready: true }))
  let cpu0 = process.cpuUsage()
  process.on('message', async (msg) => {
    if (msg === 'cpu-start') cpu0 = process.cpuUsage()
    if (msg === 'cpu-stop') {
      const d = process.cpuUsage(cpu0)
      process.send({ cpuMicros: d.user + d.system })
    }
    if (msg === 'exit') {
      server.close()
      await transport.close()
      process.exit(0)
    }
  })
}

function runMain (main) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}

module.exports = { serve, runMain }
