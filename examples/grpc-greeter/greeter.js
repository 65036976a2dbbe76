'use strict'
// Loads the Greeter service (greeter.proto) for the example and the benchmark.
const path = require('node:path')
const grpc = require('@grpc/grpc-js')
const protoLoader = require('@grpc/proto-loader')

const definition = protoLoader.loadSync(path.join(__dirname, 'greeter.proto'))
const { Greeter } = grpc.loadPackageDefinition(definition).greeter

module.exports = { grpc, Greeter }
