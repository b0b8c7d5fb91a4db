"""The OPC UA node model of the twin: browse names, namespaces, types (docs/opcua.md).

PackML names of OPC 30050 (`Status/StateCurrent`, `Admin/ProdProcessedCount`...) live in the
PackML namespace; everything rempart adds (batch, environment, journal) lives in the rempart
namespace. This module only builds nodes; `server.py` gives them values and behaviour.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast

from asyncua import ua
from asyncua.common.node import Node
from asyncua.server.server import Server

PACKML_NS_URI = "http://opcfoundation.org/UA/PackML/"
REMPART_NS_URI = "urn:rempart:twin"

MethodCallback = Callable[..., Awaitable[ua.CallMethodResult]]

V = ua.VariantType

#: (folder, browse name, namespace "packml"|"rempart", variant type, initial value)
VARIABLES: tuple[tuple[str, str, str, ua.VariantType, Any], ...] = (
    ("Status", "StateCurrent", "packml", V.Int32, 4),
    ("Status", "UnitModeCurrent", "packml", V.Int32, 1),
    ("Status", "CurMachSpeed", "packml", V.Float, 0.0),
    ("Status", "MachSpeed", "packml", V.Float, 0.0),
    ("Status", "StateName", "rempart", V.String, "Idle"),
    ("Status", "UnitModeName", "rempart", V.String, "Production"),
    ("Admin", "ProdProcessedCount", "packml", V.Int32, 0),
    ("Admin", "ProdDefectiveCount", "packml", V.Int32, 0),
    ("Admin", "StopReason", "packml", V.String, ""),
    ("Batch", "BatchId", "rempart", V.String, ""),
    ("Batch", "ProductCode", "rempart", V.String, ""),
    ("Batch", "VialFormat", "rempart", V.String, ""),
    ("Batch", "TargetQuantity", "rempart", V.Int32, 0),
    ("Batch", "VialsIssued", "rempart", V.Int32, 0),
    ("Batch", "VialsGood", "rempart", V.Int32, 0),
    ("Batch", "VialsRejected", "rempart", V.Int32, 0),
    ("Batch", "VialsQcSamples", "rempart", V.Int32, 0),
    ("Environment", "Count0_5umPerM3", "rempart", V.Int32, 0),
    ("Environment", "Count5umPerM3", "rempart", V.Int32, 0),
    ("Environment", "ParticleLevel", "rempart", V.String, "ok"),
    ("Environment", "ActiveAlarms", "rempart", V.Int32, 0),
    ("Journal", "LastSequence", "rempart", V.Int64, 0),
    ("Line", "SimulatedTime", "rempart", V.DateTime, None),
    ("Line", "SimulatedSeconds", "rempart", V.Double, 0.0),
    ("Line", "Speed", "rempart", V.Double, 0.0),
    ("Line", "LastCommandResult", "rempart", V.String, ""),
)

#: PackML commands exposed as methods on the line object (no input arguments).
PACKML_METHODS = (
    "Start",
    "Stop",
    "Hold",
    "Unhold",
    "Suspend",
    "Unsuspend",
    "Abort",
    "Clear",
    "Reset",
)


def _nid(identifier: str, namespace: int) -> ua.NodeId:
    """A string node id: stable across restarts, readable in any client."""
    return ua.NodeId(cast(Any, identifier), cast(Any, namespace))


def _argument(name: str, vtype: ua.VariantType, description: str, *, array: bool = False) -> Any:
    arg = ua.Argument()
    arg.Name = name
    arg.DataType = ua.NodeId(cast(Any, vtype.value))
    arg.ValueRank = 1 if array else -1
    arg.ArrayDimensions = [0] if array else []
    arg.Description = ua.LocalizedText(description)
    return arg


MESSAGE_OUT = _argument("Message", V.String, "what the line did, or why it refused")


@dataclass
class LineNodes:
    """Handles on the nodes the server writes: key "Folder/Name" → (node, variant type)."""

    line: Node
    journal: Node
    variables: dict[str, tuple[Node, ua.VariantType]] = field(default_factory=dict)


async def build_address_space(
    server: Server,
    *,
    line_id: str,
    commands: Callable[[str], MethodCallback],
    set_unit_mode: MethodCallback,
    load_batch: MethodCallback,
    read_journal: MethodCallback,
) -> LineNodes:
    packml = await server.register_namespace(PACKML_NS_URI)
    rempart = await server.register_namespace(REMPART_NS_URI)
    ns = {"packml": packml, "rempart": rempart}
    line = await server.nodes.objects.add_object(
        _nid(f"{line_id}", rempart), ua.QualifiedName("FillingLine", rempart)
    )
    folders: dict[str, Node] = {"Line": line}
    for name, namespace in (
        ("Status", "packml"),
        ("Admin", "packml"),
        ("Batch", "rempart"),
        ("Environment", "rempart"),
        ("Journal", "rempart"),
    ):
        folders[name] = await line.add_object(
            _nid(f"{line_id}.{name}", ns[namespace]), ua.QualifiedName(name, ns[namespace])
        )
    nodes = LineNodes(line=line, journal=folders["Journal"])
    for folder, name, namespace, vtype, initial in VARIABLES:
        parent = folders[folder]
        prefix = line_id if folder == "Line" else f"{line_id}.{folder}"
        node = await parent.add_variable(
            _nid(f"{prefix}.{name}", ns[namespace]),
            ua.QualifiedName(name, ns[namespace]),
            ua.Variant(initial, vtype),
        )
        nodes.variables[f"{folder}/{name}"] = (node, vtype)
    for name in PACKML_METHODS:
        await line.add_method(
            _nid(f"{line_id}.{name}", packml),
            ua.QualifiedName(name, packml),
            commands(name),
            [],
            [MESSAGE_OUT],
        )
    await line.add_method(
        _nid(f"{line_id}.SetUnitMode", packml),
        ua.QualifiedName("SetUnitMode", packml),
        set_unit_mode,
        [_argument("Mode", V.String, "Production, Maintenance or Manual")],
        [MESSAGE_OUT],
    )
    await line.add_method(
        _nid(f"{line_id}.LoadBatch", rempart),
        ua.QualifiedName("LoadBatch", rempart),
        load_batch,
        [
            _argument("BatchId", V.String, "unique on this line, 1-64 characters"),
            _argument("ProductCode", V.String, "a product of the demo catalogue"),
            _argument("VialFormatCode", V.String, "V2, V5, V10, V20, V30 or V50"),
            _argument("TargetQuantity", V.Int32, "vials to fill, 1-100000"),
        ],
        [MESSAGE_OUT],
    )
    await folders["Journal"].add_method(
        _nid(f"{line_id}.Journal.ReadJournal", rempart),
        ua.QualifiedName("ReadJournal", rempart),
        read_journal,
        [
            _argument("FromSequence", V.Int64, "first sequence wanted (≥ 1)"),
            _argument("MaxCount", V.Int32, "at most this many entries (1-1000)"),
        ],
        [_argument("Entries", V.String, "canonical JSON, one entry each, in order", array=True)],
    )
    return nodes
