/**
 * PUBACK a QoS 1 message when its job is done, not when it arrives, without stalling the client.
 *
 * mqtt.js v5's customHandleAcks hands each QoS 1 PUBLISH to us with a callback that sends the PUBACK,
 * but it processes no further incoming packet until that callback runs: holding it for a whole job
 * would hold the next job, the PUBACKs of our own answers and the keep-alive PINGRESP (the client then
 * drops the connection). So the callback is answered at once with DEFER (mqtt.js then goes on without
 * sending a PUBACK and reports DEFER as an 'error', which `isDeferral` filters out), and the PUBACK is
 * sent later through the client's packet writer. This file is the only place that relies on that.
 */
import type { IClientOptions, IPublishPacket, MqttClient } from 'mqtt';

class DeferredAck extends Error {
  constructor() {
    super('PUBACK deferred until the job is done');
  }
}

const DEFER = new DeferredAck();

/** Whether an 'error' event of the client is only our deferral. */
export function isDeferral(err: unknown): boolean {
  return err === DEFER;
}

/** Client options under which every QoS 1 message goes to `onMessage` and is acknowledged only by `ack`. */
export function deferredAckOptions(onMessage: (packet: IPublishPacket) => void): Pick<IClientOptions, 'customHandleAcks'> {
  return {
    customHandleAcks(_topic, _message, packet, callback) {
      try {
        onMessage(packet);
      } finally {
        callback(DEFER);
      }
    },
  };
}

interface PacketWriter {
  _sendPacket(packet: { cmd: 'puback'; messageId: number; reasonCode: number }, cb?: (err?: Error) => void): void;
}

/**
 * Acknowledges message `messageId` on the current connection. Not connected: nothing is sent; the
 * broker hands the unacknowledged message again when the session resumes.
 */
export function sendPuback(client: MqttClient, messageId: number): void {
  if (!client.connected) return;
  (client as unknown as PacketWriter)._sendPacket({ cmd: 'puback', messageId, reasonCode: 0 });
}
