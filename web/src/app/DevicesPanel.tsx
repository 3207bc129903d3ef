/**
 * The devices of a chat's members, as this device knows them from the key directory: every
 * message is encrypted for each of them. Each shows its fingerprint (its Ed25519 identity
 * key), so people can compare them out of band; a device someone adds shows up here once
 * this browser asked for their devices again (on connect, and before a send when the last
 * answer is a minute old). Each other device can be verified by comparing emojis
 * (Verification.tsx): a verified one is marked so; one added since is not.
 */
import { useEffect, useState } from "preact/hooks";
import type { DeviceInfo } from "../client";
import type { ChatModel } from "./model";
import { useVerify } from "./Verification";

/** How long a device someone added is marked new. */
export const NEW_DEVICE_MS = 7 * 24 * 3600 * 1000;

/**
 * The devices of one user marked new: learnt of in the last week, after another of theirs
 * (their first device is just them).
 */
export function newDevices(devices: DeviceInfo[], now: number): Set<string> {
  const first = Math.min(...devices.map((d) => d.firstSeen));
  return new Set(devices.filter((d) => !d.own && d.firstSeen > first && now - d.firstSeen < NEW_DEVICE_MS).map((d) => d.deviceId));
}

/** A key in groups of four characters, easier to read aloud. */
export function fingerprint(key: string): string {
  return key.replace(/(.{4})(?=.)/g, "$1 ");
}

export function DevicesPanel(props: { model: ChatModel; members: string[] }) {
  const { model, members } = props;
  const [devices, setDevices] = useState<Map<string, DeviceInfo[]> | undefined>(undefined);
  const verify = useVerify(model);
  useEffect(() => {
    let live = true;
    void Promise.all(members.map(async (m) => [m, await model.client.devices(m)] as const)).then((entries) => {
      if (live) setDevices(new Map(entries));
    });
    return () => {
      live = false;
    };
  }, [members.join(","), verify.revision]);
  return (
    <aside class="devices" aria-label="Encryption devices">
      <p>Messages here are end-to-end encrypted for these devices.</p>
      {devices === undefined ? (
        <p role="status">Loading devices…</p>
      ) : (
        <ul>
          {members.map((member) => (
            <li key={member}>
              <strong>{member === model.me.userId ? "You" : model.contacts.label(member)}</strong>
              <ul aria-label={`Devices of ${member === model.me.userId ? "you" : model.contacts.label(member)}`}>
                {(devices.get(member) ?? []).length === 0 && <li>No device with keys yet</li>}
                {(devices.get(member) ?? []).map((d, _i, all) => (
                  <li key={d.deviceId} class="device" data-device={d.deviceId}>
                    <code>{d.deviceId}</code>
                    {d.own && " (this browser)"}
                    {newDevices(all, Date.now()).has(d.deviceId) && <strong class="new-device"> new device</strong>}
                    {d.verified && <strong class="verified-device" aria-label="Verified"> ✓ Verified</strong>}
                    {d.ed25519 !== undefined && <span class="fingerprint"> {fingerprint(d.ed25519)}</span>}
                    {!d.own && !d.verified && model.client.verifications !== undefined && (
                      <button type="button" class="verify" aria-label={`Verify device ${d.deviceId}`} onClick={() => void verify.start(member, d.deviceId)}>
                        Verify
                      </button>
                    )}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}
