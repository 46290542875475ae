"""Find the ops in a SavedModel that could reach the host (files, Python, network) before anything runs.

The scan reads saved_model.pb as data (savedmodel_proto) and must happen before
`tf.saved_model.load`: loading itself runs the variable-restore function, resource initialisers
(`_initialize` of tables) and, for TF1 SavedModels, the init ops of the graph, any of which a hostile
file can fill with WriteFile. Every meta graph is scanned, its graph nodes and its whole function
library, because a function is reachable by name from attrs anywhere (PartitionedCall, While, If,
tf.data map functions).
"""

from __future__ import annotations

from ...records.inspection import Suspicious
from . import savedmodel_proto as sp

# Ops that read or write files, call back into Python, or talk to other processes or machines.
HOST_OPS = frozenset({
    # files
    "ReadFile", "WriteFile", "MatchingFiles", "ImmutableConst", "FileSystemSetConfiguration",
    "WholeFileReader", "WholeFileReaderV2", "TextLineReader", "TextLineReaderV2", "TFRecordReader",
    "TFRecordReaderV2", "FixedLengthRecordReader", "FixedLengthRecordReaderV2", "LMDBReader",
    "InitializeTableFromTextFile", "InitializeTableFromTextFileV2", "GenerateVocabRemapping",
    "LoadAndRemapMatrix",
    # summaries written to event files or databases
    "CreateSummaryFileWriter", "CreateSummaryDbWriter", "WriteSummary", "WriteScalarSummary",
    "WriteHistogramSummary", "WriteImageSummary", "WriteAudioSummary", "WriteGraphSummary",
    "WriteRawProtoSummary", "ImportEvent", "FlushSummaryWriter", "StatsAggregatorSetSummaryWriter",
    # tf.data sources and sinks on files or services; DatasetFromGraph runs a graph the scan cannot see
    "TFRecordDataset", "TFRecordDatasetV2", "FixedLengthRecordDataset", "FixedLengthRecordDatasetV2",
    "TextLineDataset", "CSVDataset", "CSVDatasetV2", "ExperimentalCSVDataset", "LMDBDataset",
    "ExperimentalLMDBDataset", "SqlDataset", "ExperimentalSqlDataset", "MatchingFilesDataset",
    "ExperimentalMatchingFilesDataset", "CacheDataset", "CacheDatasetV2", "SnapshotDataset",
    "SnapshotDatasetV2", "SnapshotDatasetReader", "SnapshotNestedDatasetReader", "SnapshotChunkDataset",
    "ListSnapshotChunksDataset", "SaveDataset", "SaveDatasetV2", "LoadDataset", "DatasetToTFRecord",
    "ExperimentalDatasetToTFRecord", "DistributedSave", "DataServiceDataset", "DataServiceDatasetV2",
    "DataServiceDatasetV3", "DataServiceDatasetV4", "RegisterDataset", "RegisterDatasetV2",
    "DatasetFromGraph",
    # Python callbacks
    "PyFunc", "PyFuncStateless", "EagerPyFunc",
    # debugger taps: debug_urls may be file:// or grpc://
    "DebugIdentity", "DebugIdentityV2", "DebugIdentityV3", "DebugNanCount", "DebugNumericSummary",
    "DebugNumericSummaryV2", "Copy", "CopyHost",
    # other processes and machines
    "RemoteCall", "RpcClient", "RpcServer", "RpcServerStart", "RpcServerRegister", "RpcCall",
    "CollectiveReduce", "CollectiveReduceV2", "CollectiveReduceV3", "CollectiveGather", "CollectiveGatherV2",
    "CollectiveBcastSend", "CollectiveBcastSendV2", "CollectiveBcastRecv", "CollectiveBcastRecvV2",
    "CollectiveAllToAllV2", "CollectiveAllToAllV3", "_Send", "_Recv", "_HostSend", "_HostRecv",
    # ends the process: one model would end the whole run
    "Abort",
})
# Checkpoint ops belong only on the variable save/restore path that saver_def names.
SAVE_OPS = frozenset({"Save", "SaveV2", "SaveSlices", "MergeV2Checkpoints"})
RESTORE_OPS = frozenset({"Restore", "RestoreV2", "RestoreSlice"})
# Ops that are harmless unless an attr points them at a file: attr name -> prefixes that stay in memory.
ATTR_SAFE = {"PrintV2": ("output_stream", ("stderr", "stdout", "log(")),
             "DecodeProtoV2": ("descriptor_source", ("local://", "bytes://")),
             "EncodeProto": ("descriptor_source", ("local://", "bytes://"))}



def scan_path(path) -> Suspicious:
    """Scan <path>/saved_model.pb; SourceError if it cannot be parsed."""
    return scan(sp.read(path))


def scan(proto) -> Suspicious:
    found: dict[str, set[str]] = {}
    for meta in proto.meta_graphs:
        for where, ops in _scan_meta_graph(meta).items():
            found.setdefault(where, set()).update(ops)
    return tuple((where, tuple(sorted(ops))) for where, ops in sorted(found.items()) if ops)


def _scan_meta_graph(meta) -> dict[str, set[str]]:
    library = sp.library(meta)
    nodes = {node.name: node for node in meta.graph_def.node}
    save_nodes = _ancestors(nodes, meta.saver_def.save_tensor_name)
    restore_nodes = _ancestors(nodes, meta.saver_def.restore_op_name)
    # Functions anything but the saver can run: object-graph endpoints and initialisers, other graph nodes.
    other_roots = set(meta.object_graph_def.concrete_functions) & set(library)
    for name, node in nodes.items():
        if name not in save_nodes and name not in restore_nodes:
            other_roots.update(sp.callees(node, library))
    run_anyway = sp.reachable(other_roots, library)
    save_path = sp.reachable(_called(nodes, save_nodes, library), library) - run_anyway
    restore_path = sp.reachable(_called(nodes, restore_nodes, library), library) - run_anyway - save_path
    found = {}
    graph_ops = set()
    for name, node in nodes.items():
        graph_ops |= _suspicious(node, library, save_ok=name in save_nodes and name not in restore_nodes,
                                 restore_ok=name in restore_nodes)
    found["graph"] = graph_ops
    for name, function in library.items():
        found[name] = set()
        for node in function.node_def:
            found[name] |= _suspicious(node, library, save_ok=name in save_path, restore_ok=name in restore_path)
    return found


def _suspicious(node, library: dict, save_ok: bool, restore_ok: bool) -> set[str]:
    ops = set()
    # A func attr may name a registered op instead of a library function: the runtime then runs that op.
    for op in [node.op] + [name for name in sp.func_attrs(node) if name not in library]:
        if op in HOST_OPS or (op in SAVE_OPS and not save_ok) or (op in RESTORE_OPS and not restore_ok):
            ops.add(op)
        elif op in ATTR_SAFE and op == node.op:
            attr, safe = ATTR_SAFE[op]
            value = node.attr[attr].s.decode("utf8", "replace") if attr in node.attr else ""
            if value and not value.startswith(safe):
                ops.add(f"{op}({attr}={value})")
    return ops


def _ancestors(nodes: dict, tensor: str) -> set[str]:
    """Graph nodes a tensor or op name depends on, itself included (data and control inputs)."""
    start = tensor.lstrip("^").split(":")[0]
    seen, todo = set(), [start] if start in nodes else []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(i.lstrip("^").split(":")[0] for i in nodes[name].input if i.lstrip("^").split(":")[0] in nodes)
    return seen


def _called(nodes: dict, names: set[str], library: dict) -> set[str]:
    return {callee for name in names for callee in sp.callees(nodes[name], library)}
