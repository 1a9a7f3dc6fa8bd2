import FlexArtifact
import FlexGraph

/// A tensor of a compiled model at the pipeline level: an output of a host-graph node (variables,
/// host operators, subgraph outputs) or a value private to one subgraph that crosses between its
/// stages.
enum ModelValue: Hashable, Sendable {
    case graph(ValueRef)
    /// `subgraph` is the `_neuron_subgraph_op` node index; `value` an id in its artifact.
    case local(subgraph: Int, value: ValueID)
}
