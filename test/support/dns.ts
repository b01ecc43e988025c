import type { AddressInfo } from 'node:net';
import dns2 from 'dns2';

const { Packet } = dns2;
/** dns2's typings omit the response codes. */
const NXDOMAIN = 3;

/** TXT records by name (lower case, no trailing dot); each record is one string or its <=255-byte chunks. */
export type TxtZone = Record<string, Array<string | string[]>>;

export interface TestDnsServer {
  /** "127.0.0.1:PORT", for node:dns Resolver.setServers, `handoff doctor --dns` or DOCTOR_DNS_SERVER. */
  server: string;
  /** Every question asked, "TXT name". */
  queries: string[];
  /** Mutate to change answers between queries. */
  zone: TxtZone;
  close(): Promise<void>;
}

/**
 * A real authoritative DNS server on 127.0.0.1 (dns2), UDP and TCP on the same port (TCP serves answers
 * too large for UDP). Names in `zone` answer their TXT records; other names answer NXDOMAIN; a name
 * whose records list is empty answers NOERROR with no data (NODATA).
 */
export async function startDnsServer(zone: TxtZone): Promise<TestDnsServer> {
  const queries: string[] = [];
  const state = { zone };
  const handle = (request: dns2.Packet, send: (r: dns2.Packet) => unknown) => {
    const response = Packet.createResponseFromRequest(request);
    const [q] = request.questions;
    if (q) {
      const name = q.name.toLowerCase().replace(/\.$/, '');
      queries.push(`${q.type === Packet.TYPE.TXT ? 'TXT' : q.type} ${name}`);
      const records = state.zone[name];
      if (!records) response.header.rcode = NXDOMAIN;
      else if (q.type === Packet.TYPE.TXT) {
        for (const data of records) response.answers.push({ name: q.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 60, data } as dns2.Packet.Resource);
      }
    }
    send(response);
  };
  const udp = dns2.createUDPServer(handle as dns2.DnsHandler);
  await udp.listen(0, '127.0.0.1');
  const port = (udp.address() as AddressInfo).port;
  const tcp = dns2.createTCPServer(handle as dns2.DnsHandler);
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    server: `127.0.0.1:${port}`,
    queries,
    get zone() {
      return state.zone;
    },
    set zone(z: TxtZone) {
      state.zone = z;
    },
    close: async () => {
      await new Promise<void>((r) => udp.close(() => r()));
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
