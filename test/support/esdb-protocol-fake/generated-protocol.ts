/**
 * The message classes and service definitions generated from EventStoreDB's .proto files, as
 * shipped inside @eventstore/db-client. They are CommonJS modules whose exports Node cannot
 * detect statically, so they are imported whole (default import) and re-exported by name.
 * The fake must build its replies from these very classes: the generated serializers check
 * `instanceof` against them.
 */

import codeMessages from '@eventstore/db-client/generated/code_pb.js';
import gossipGrpc from '@eventstore/db-client/generated/gossip_grpc_pb.js';
import gossipMessages from '@eventstore/db-client/generated/gossip_pb.js';
import serverFeaturesGrpc from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import serverFeaturesMessages from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedMessages from '@eventstore/db-client/generated/shared_pb.js';
import statusMessages from '@eventstore/db-client/generated/status_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsMessages from '@eventstore/db-client/generated/streams_pb.js';
import anyModule from 'google-protobuf/google/protobuf/any_pb.js';
import emptyModule from 'google-protobuf/google/protobuf/empty_pb.js';
import timestampModule from 'google-protobuf/google/protobuf/timestamp_pb.js';

export const { Any } = anyModule;
export const { Empty: GoogleEmpty } = emptyModule;
export const { Timestamp } = timestampModule;
export const { GossipService } = gossipGrpc;
export const { ClusterInfo, EndPoint, MemberInfo } = gossipMessages;
export const { ServerFeaturesService } = serverFeaturesGrpc;
export const { SupportedMethods, SupportedMethod } = serverFeaturesMessages;
export const { Empty, UUID, StreamIdentifier, AllStreamPosition, WrongExpectedVersion } = sharedMessages;
export const { Status } = statusMessages;
export const { Code } = codeMessages;
export const { StreamsService } = streamsGrpc;
export const { ReadReq, ReadResp, AppendReq, AppendResp, BatchAppendReq, BatchAppendResp } = streamsMessages;

export type AnyMessage = InstanceType<typeof Any>;
export type UuidMessage = InstanceType<typeof UUID>;
export type StreamIdentifierMessage = InstanceType<typeof StreamIdentifier>;
export type ReadRequest = InstanceType<typeof ReadReq>;
export type ReadResponse = InstanceType<typeof ReadResp>;
export type AppendRequest = InstanceType<typeof AppendReq>;
export type AppendResponse = InstanceType<typeof AppendResp>;
export type BatchAppendRequest = InstanceType<typeof BatchAppendReq>;
export type BatchAppendResponse = InstanceType<typeof BatchAppendResp>;
export type RecordedEventMessage = InstanceType<typeof ReadResp.ReadEvent.RecordedEvent>;
