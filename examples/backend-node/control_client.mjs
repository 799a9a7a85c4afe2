// A small client of the Switchboard control plane (gRPC service
// switchboard.control.v1.ControlService, proto/switchboard/control/v1/control.proto)
// on @grpc/grpc-js and @grpc/proto-loader. Copy it into your backend.
//
//   const control = connectControl({ address: '127.0.0.1:50051', apiKey: process.env.SWITCHBOARD_API_KEY });
//   const ack = await control.call('Publish', { room: 'chat:lobby', messageId: 'order-42', payload: { text: 'hi' } });
//   control.close();
//
// Requests and responses are plain objects in the proto's camelCase field
// names; 64-bit numbers (offsets) come back as decimal strings, enums as their
// names. Every call carries `authorization: Bearer <apiKey>` when an API key is
// given (the control plane's --api_keys_file) and has a deadline.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * The folder that holds proto/switchboard/...: the repository root by
 * default. Outside the repository, copy proto/switchboard/client/v1/client.proto
 * and proto/switchboard/control/v1/control.proto into your project keeping those
 * paths (control.proto imports the client one by that path), and pass the
 * folder above proto/ (or set SWITCHBOARD_PROTO_ROOT).
 */
export const DEFAULT_PROTO_ROOT = process.env.SWITCHBOARD_PROTO_ROOT || resolve(here, '../..');

/** Loads the ControlService definition (google/protobuf types come with protobufjs). */
export function loadControlService(protoRoot = DEFAULT_PROTO_ROOT) {
  const definition = protoLoader.loadSync(join(protoRoot, 'proto/switchboard/control/v1/control.proto'), {
    includeDirs: [protoRoot],
    keepCase: false, // camelCase field names, as the JSON mapping and the web client use
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(definition).switchboard.control.v1.ControlService;
}

/**
 * Connects to the control plane at `address` (host:port). `tls`: false for
 * plaintext (the default, as `./switchboard up` serves it), true for TLS
 * against the system roots, or grpc.credentials.createSsl(...) for your own CA
 * or a client certificate (mTLS).
 */
export function connectControl({ address = '127.0.0.1:50051', apiKey = '', tls = false, protoRoot, timeoutMs = 10_000 } = {}) {
  const ControlService = loadControlService(protoRoot);
  const channel =
    tls === true ? grpc.credentials.createSsl() : tls ? tls : grpc.credentials.createInsecure();
  const client = new ControlService(address, channel);
  return {
    /** Calls a unary method (Publish, Broadcast, GetHistory, KickUser, ...); rejects with the gRPC error. */
    call(method, request, { deadlineMs = timeoutMs } = {}) {
      if (typeof client[method] !== 'function') throw new TypeError(`ControlService has no method ${method}`);
      const metadata = new grpc.Metadata();
      if (apiKey) metadata.set('authorization', `Bearer ${apiKey}`);
      return new Promise((resolveCall, rejectCall) => {
        client[method](request, metadata, { deadline: Date.now() + deadlineMs }, (err, response) =>
          err ? rejectCall(err) : resolveCall(response),
        );
      });
    },
    close() {
      client.close();
    },
  };
}

/** gRPC status names, for error messages (err.code is the number). */
export const STATUS_NAMES = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));
