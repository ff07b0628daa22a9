/**
 * What a client asks a node about the node itself: Gossip.Read (the cluster's members, used by
 * discovery and multi-host connection strings) and ServerFeatures.GetSupportedMethods (asked on
 * the first call of every connection; it decides between Streams.Append and Streams.BatchAppend).
 */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { ClusterInfo, EndPoint, MemberInfo, SupportedMethod, SupportedMethods } from './generated-protocol.js';
import { uuidMessage } from './wire.js';

/** Version the fake reports; the suffix keeps it from being mistaken for a real server in logs. */
export const PROTOCOL_FAKE_SERVER_VERSION = '24.10.0-protocol-fake';

export type NodeState = 'leader' | 'follower' | 'read_only_replica' | 'shutting_down';

const VNODE_STATE: Record<NodeState, ReturnType<InstanceType<typeof MemberInfo>['getState']>> = {
  leader: MemberInfo.VNodeState.LEADER,
  follower: MemberInfo.VNodeState.FOLLOWER,
  read_only_replica: MemberInfo.VNodeState.READONLYREPLICA,
  shutting_down: MemberInfo.VNodeState.SHUTTINGDOWN,
};

/**
 * One member as gossip describes it. A cluster of fakes shares one list of these (each fake
 * answers gossip with the same view), so growing to three nodes means starting three fakes
 * with a shared `clusterView`; the single-node default is "this node, leader, alive".
 */
export interface ClusterMember {
  readonly instanceId: string;
  readonly state: NodeState;
  readonly alive: boolean;
  readonly address: string;
  readonly port: number;
}

export const gossipReadHandler =
  (clusterView: () => readonly ClusterMember[]) =>
  (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<InstanceType<typeof ClusterInfo>>): void => {
    const now = (BigInt(Date.now()) * 10_000n).toString();
    const members = clusterView().map((member) =>
      new MemberInfo()
        .setInstanceId(uuidMessage(member.instanceId, true))
        .setTimeStamp(now)
        .setState(VNODE_STATE[member.state])
        .setIsAlive(member.alive)
        .setHttpEndPoint(new EndPoint().setAddress(member.address).setPort(member.port)),
    );
    callback(null, new ClusterInfo().setMembersList(members));
  };

interface AdvertisedMethod {
  readonly service: string;
  readonly method: string;
  readonly features?: readonly string[];
}

export const supportedMethodsHandler =
  (advertised: readonly AdvertisedMethod[]) =>
  (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<InstanceType<typeof SupportedMethods>>): void => {
    const methods = advertised.map(({ service, method, features = [] }) =>
      new SupportedMethod()
        .setServiceName(service)
        .setMethodName(method)
        .setFeaturesList([...features]),
    );
    callback(
      null,
      new SupportedMethods().setMethodsList(methods).setEventStoreServerVersion(PROTOCOL_FAKE_SERVER_VERSION),
    );
  };

/** The methods the fake serves, named as the server names them in its features reply. */
export const advertisedMethods = (options: { readonly batchAppend: boolean }): readonly AdvertisedMethod[] => [
  { service: 'event_store.client.streams.Streams', method: 'Read' },
  { service: 'event_store.client.streams.Streams', method: 'Append' },
  ...(options.batchAppend ? [{ service: 'event_store.client.streams.Streams', method: 'BatchAppend' }] : []),
  { service: 'event_store.client.gossip.Gossip', method: 'Read' },
  { service: 'event_store.client.server_features.ServerFeatures', method: 'GetSupportedMethods' },
];
