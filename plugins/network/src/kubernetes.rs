//! Kubernetes objects: Ingress TLS, rate-limit and auth annotations,
//! NetworkPolicies selecting inference pods, Services exposed outside the
//! cluster on ports other than 443. Objects come from the SDK's reader
//! (multi-document YAML, JSON, Lists); templates are not rendered there and
//! leave these checks incomplete.
//!
//! Inference workloads are recognised by positive serving signals only
//! (see `inference_workloads`): a bare word such as "llm", "model",
//! "inference" or "kserve" in a name is not one, and controllers,
//! operators, webhooks, managers and agents are not model servers unless
//! an image, command line or label says so. The same recognition
//! (`is_inference_text`) grades Services, Ingress backends and nginx
//! upstreams.

use std::collections::BTreeMap;

use aicomply_sdk::kubernetes::{self as k8s};
use aicomply_sdk::yaml::Node;
use aicomply_sdk::{Location, Scan, Severity};

use crate::checks::*;

/// An object as rendered, and the namespace it lands in.
pub struct Object {
    pub k8s: k8s::Object,
    /// Its own (kustomize's `namespace:` applied), or `default`.
    pub namespace: String,
}

impl Object {
    pub fn new(k8s: k8s::Object) -> Self {
        let namespace = k8s::namespace(&k8s.node).unwrap_or("default").to_string();
        Object { k8s, namespace }
    }
}

/// `o.node`, `o.file`, `o.at(node)` are the rendered object's.
impl std::ops::Deref for Object {
    type Target = k8s::Object;
    fn deref(&self) -> &k8s::Object {
        &self.k8s
    }
}

/// Model-server products: a name, container name or label value that is
/// one of these words (or holds one) names the server it runs. Generic
/// words ("llm", "model", "inference", "serving", "predictor", "kserve")
/// are not here: operators, routers and dashboards carry them too.
const SERVER_WORDS: &[&str] = &[
    "vllm",
    "tgi",
    "triton",
    "tritonserver",
    "torchserve",
    "ollama",
    "llamacpp",
    "sglang",
    "lmdeploy",
    "mlserver",
    "tfserving",
    "ovms",
    "xinference",
    "localai",
];

/// Words of names that are model-serving in general but prove nothing on
/// their own; with a GPU request they mark a serving workload.
const GENERIC_WORDS: &[&str] = &[
    "inference",
    "llm",
    "predictor",
    "serving",
    "modelserver",
    "infer",
];

/// Control-plane words: operators, controllers, webhooks, agents.
const CONTROL_WORDS: &[&str] = &[
    "controller",
    "controllers",
    "operator",
    "webhook",
    "manager",
    "agent",
    "admission",
];

fn words(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
}

/// A name of the control plane (`kserve-controller-manager`,
/// `localmodelnode-agent`, `seldon-operator`, `...-webhook-server`).
pub fn is_control_plane(s: &str) -> bool {
    words(s).any(|w| CONTROL_WORDS.contains(&w.as_str()))
}

/// A known model-server image (the repository part, tag ignored).
pub fn is_server_image(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    let repo = lower.split('@').next().unwrap_or(&lower);
    // Drop the tag (a `:` after the last `/`), keep it for llama.cpp.
    let (path, tag) = match repo.rsplit_once('/') {
        Some((head, last)) => match last.split_once(':') {
            Some((n, t)) => (format!("{head}/{n}"), t.to_string()),
            None => (repo.to_string(), String::new()),
        },
        None => match repo.split_once(':') {
            Some((n, t)) => (n.to_string(), t.to_string()),
            None => (repo.to_string(), String::new()),
        },
    };
    let last = path.rsplit('/').next().unwrap_or(&path);
    if is_control_plane(last) {
        return false;
    }
    const SUBSTR: &[&str] = &[
        "vllm/vllm-openai",
        "vllm-openai",
        "text-generation-inference",
        "text-embeddings-inference",
        "tritonserver",
        "pytorch/torchserve",
        "torchserve",
        "tensorflow/serving",
        "openvino/model_server",
        "ollama/ollama",
        "seldonio/mlserver",
        "mlserver",
        "lmsysorg/sglang",
        "openmmlab/lmdeploy",
        "localai/localai",
        "xprobe/xinference",
        "nvcr.io/nim/",
        "bentoml/",
    ];
    if SUBSTR.iter().any(|s| path.contains(s)) {
        return true;
    }
    // llama.cpp's server images: `ghcr.io/ggml-org/llama.cpp:server`.
    if last == "llama.cpp" || last == "llama-cpp" || last == "llamacpp" {
        return tag.contains("server") || last != "llama.cpp";
    }
    // KServe's and Seldon's predictor images: kserve/sklearnserver,
    // kserve/huggingfaceserver, seldonio/xgboostserver, ...
    let org = path.rsplit('/').nth(1).unwrap_or("");
    if matches!(org, "kserve" | "kfserving" | "seldonio") && last.ends_with("server") {
        return true;
    }
    words(last).any(|w| SERVER_WORDS.contains(&w.as_str()) && w != "triton")
}

/// A command line that starts a model server.
pub fn is_server_command(argv: &[String]) -> bool {
    let joined = argv.join(" ").to_ascii_lowercase();
    let first = |a: &String| a.rsplit('/').next().unwrap_or(a).to_ascii_lowercase();
    argv.windows(2).any(|w| {
        let p = first(&w[0]);
        let n = w[1].to_ascii_lowercase();
        (matches!(p.as_str(), "vllm" | "ollama" | "bentoml" | "lmdeploy") && n == "serve")
            || (p == "mlserver" && n == "start")
            || (p == "serve" && n == "run")
            || (p == "sglang" && n == "serve")
    }) || argv.iter().any(|a| {
        let b = first(a);
        matches!(
            b.as_str(),
            "text-generation-launcher"
                | "text-embeddings-router"
                | "tritonserver"
                | "torchserve"
                | "llama-server"
                | "tensorflow_model_server"
                | "ovms"
                | "trtllm-serve"
        ) || matches!(
            a.as_str(),
            "--model"
                | "--model-id"
                | "--model_id"
                | "--model-repository"
                | "--model_repository"
                | "--model-store"
                | "--model_name"
                | "--model-name"
                | "--served-model-name"
        ) || a.starts_with("--model=")
            || a.starts_with("--model-id=")
            || a.starts_with("--model-repository=")
            || a.starts_with("--model_repository=")
            || a.starts_with("--model-store=")
            || a.starts_with("--model_name=")
            || a.starts_with("--model-name=")
            || a.starts_with("--served-model-name=")
    }) || joined.contains("vllm.entrypoints")
        || joined.contains("sglang.launch_server")
        || joined.contains("text_generation_server")
        || joined.contains("kserve.model_server")
        || joined.contains("llama_cpp.server")
}

/// Whether a name (an upstream, a Service, an Ingress backend, an image)
/// names a model server: a known server image or product word, and not a
/// control-plane component. Generic words (`llm-gateway`,
/// `kserve-controller-manager`, `model-registry`) do not count.
pub fn is_inference_text(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if is_server_image(&lower) {
        return true;
    }
    if is_control_plane(&lower) {
        return false;
    }
    lower.contains("text-generation-inference")
        || lower.contains("llama.cpp")
        || lower.contains("llama-cpp")
        || lower.contains("tensorflow/serving")
        || lower.contains("model-server")
        || lower.contains("model_server")
        || words(&lower).any(|w| SERVER_WORDS.contains(&w.as_str()))
}

/// Generic serving words (`llm-inference`, `predictor`), not control plane.
fn generic_serving_name(s: &str) -> bool {
    !is_control_plane(s) && words(s).any(|w| GENERIC_WORDS.contains(&w.as_str()))
}

/// Label keys that KServe, Seldon and the Gateway API inference extension
/// put on model-server pods.
fn serving_label(key: &str) -> bool {
    matches!(
        key,
        "serving.kserve.io/inferenceservice"
            | "serving.kserve.io/llminferenceservice"
            | "serving.kubeflow.org/inferenceservice"
            | "seldon-deployment-id"
            | "seldon.io/model"
            | "modelmesh-service"
    )
}

fn labels(node: Option<&Node>) -> BTreeMap<String, String> {
    node.map(|n| {
        n.entries()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `l`.
fn selects(sel: Option<&Node>, l: &BTreeMap<String, String>) -> bool {
    let Some(sel) = sel else { return true };
    for (k, v) in labels(sel.get("matchLabels")) {
        if l.get(&k) != Some(&v) {
            return false;
        }
    }
    for e in sel.get("matchExpressions").map(Node::items).unwrap_or(&[]) {
        let key = e.get("key").and_then(Node::as_str).unwrap_or("");
        let values: Vec<&str> = e.get("values").map(|v| v.strings()).unwrap_or_default();
        let have = l.get(key);
        let ok = match e.get("operator").and_then(Node::as_str).unwrap_or("") {
            "In" => have.is_some_and(|h| values.contains(&h.as_str())),
            "NotIn" => have.is_none_or(|h| !values.contains(&h.as_str())),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// An inference workload: its title, pod labels, namespace, where.
struct Inference<'a> {
    title: String,
    labels: BTreeMap<String, String>,
    namespace: &'a str,
    obj: &'a Object,
}

/// Whether a pod spec asks for an accelerator (GPU, TPU, Gaudi, Neuron).
fn requests_accelerator(pod: Option<&Node>) -> bool {
    pod.and_then(|p| p.get("containers"))
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .any(|c| {
            ["limits", "requests"].iter().any(|k| {
                c.path(&["resources", k])
                    .map(Node::entries)
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|(k, _)| k.as_str())
                    .any(|k| {
                        let k = k.to_ascii_lowercase();
                        k.ends_with("/gpu")
                            || k.starts_with("nvidia.com/")
                            || k.starts_with("google.com/tpu")
                            || k.starts_with("habana.ai/")
                            || k.starts_with("aws.amazon.com/neuron")
                    })
            })
        })
}

/// Label selectors of InferencePool objects (Gateway API inference
/// extension): the pods they select are model servers.
fn inference_pools(objects: &[Object]) -> Vec<(&str, &Node)> {
    objects
        .iter()
        .filter(|o| k8s::kind(&o.node) == "InferencePool")
        .filter_map(|o| {
            o.node
                .path(&["spec", "selector"])
                .map(|s| (o.namespace.as_str(), s))
        })
        .collect()
}

/// Inference workloads, by positive serving signals only:
/// - KServe `InferenceService` objects (their pods carry
///   `serving.kserve.io/inferenceservice`);
/// - workloads with a known model-server image, a serving command line
///   (`vllm serve`, `--model`, `text-generation-launcher`, ...), a serving
///   label key (`serving.kserve.io/inferenceservice`, `seldon-deployment-id`)
///   or pod labels an `InferencePool` selects;
/// - otherwise a model-server product word (vllm, tgi, triton, ollama, ...)
///   in the workload's, a container's or a label's name, or a generic word
///   (inference, llm, predictor, serving) together with an accelerator
///   request; never for control-plane components (controller, operator,
///   webhook, manager, agent in a name or image), which only a strong
///   signal overrides. `ServingRuntime`/`ClusterServingRuntime` are
///   templates with no pods of their own; Jobs and CronJobs end.
fn inference_workloads(objects: &[Object]) -> Vec<Inference<'_>> {
    let pools = inference_pools(objects);
    let mut out = Vec::new();
    for o in objects {
        let kind = k8s::kind(&o.node);
        if kind == "InferenceService" {
            let mut l = BTreeMap::new();
            l.insert(
                "serving.kserve.io/inferenceservice".to_string(),
                k8s::name(&o.node).to_string(),
            );
            out.push(Inference {
                title: o.named(format!("InferenceService/{}", k8s::name(&o.node))),
                labels: l,
                namespace: &o.namespace,
                obj: o,
            });
            continue;
        }
        let Some(w) = k8s::workload(&o.node) else {
            continue;
        };
        if matches!(w.kind, "Job" | "CronJob") {
            continue;
        }
        let pod_labels = labels(w.pod_labels);
        let containers = w
            .pod_spec
            .and_then(|p| p.get("containers"))
            .map(Node::items)
            .unwrap_or(&[]);
        let images: Vec<&str> = containers
            .iter()
            .filter_map(|c| c.get("image").and_then(Node::as_str))
            .collect();
        let strong = images.iter().any(|i| is_server_image(i))
            || containers.iter().any(|c| {
                let mut argv: Vec<String> = Vec::new();
                for key in ["command", "args"] {
                    argv.extend(
                        c.get(key)
                            .map(|n| n.strings())
                            .unwrap_or_default()
                            .iter()
                            .flat_map(|s| crate::apps::shell_words(s)),
                    );
                }
                is_server_command(&argv)
            })
            || pod_labels.keys().any(|k| serving_label(k))
            || pools.iter().any(|(ns, sel)| {
                *ns == o.namespace && !pod_labels.is_empty() && pool_selects(sel, &pod_labels)
            });
        let mut names = vec![w.name.to_string()];
        names.extend(pod_labels.values().cloned());
        names.extend(
            containers
                .iter()
                .filter_map(|c| c.get("name").and_then(Node::as_str))
                .map(str::to_string),
        );
        let control = is_control_plane(w.name)
            || images.iter().any(|i| {
                let last = i.rsplit('/').next().unwrap_or(i);
                is_control_plane(last.split([':', '@']).next().unwrap_or(last))
            });
        let named = names
            .iter()
            .chain(
                images
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .any(|t| is_inference_text(t));
        let generic = names
            .iter()
            .chain(
                images
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .iter(),
            )
            .any(|t| generic_serving_name(t))
            && requests_accelerator(w.pod_spec);
        if strong || (!control && (named || generic)) {
            out.push(Inference {
                title: o.named(w.title()),
                labels: pod_labels,
                namespace: &o.namespace,
                obj: o,
            });
        }
    }
    out
}

/// An InferencePool selector: `matchLabels` (v1) or a plain label map
/// (v1alpha2).
fn pool_selects(sel: &Node, l: &BTreeMap<String, String>) -> bool {
    if sel.get("matchLabels").is_some() || sel.get("matchExpressions").is_some() {
        return selects(Some(sel), l);
    }
    let want = labels(Some(sel));
    !want.is_empty() && want.iter().all(|(k, v)| l.get(k) == Some(v))
}

fn ann<'a>(o: &'a Node, key: &str) -> Option<&'a str> {
    o.path(&["metadata", "annotations"])?.get(key)?.as_str()
}

fn annotations(o: &Node) -> Vec<(String, String)> {
    o.path(&["metadata", "annotations"])
        .map(|a| {
            a.entries()
                .iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.as_str()?.to_string(),
                        v.as_str().unwrap_or("").to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn at(o: &Object, node: &Node) -> Location {
    o.k8s.at(node)
}

/// Judge every object read from the target. Returns (ingresses judged,
/// inference workloads, services judged).
pub fn check(objects: &[Object], scan: &mut Scan) -> (usize, usize, usize) {
    let inference = inference_workloads(objects);
    // Services that select inference pods, by namespace/name.
    let mut inference_services: Vec<(String, String)> = Vec::new();
    let mut services = 0;
    for o in objects.iter().filter(|o| k8s::kind(&o.node) == "Service") {
        services += 1;
        let sel = labels(o.node.path(&["spec", "selector"]));
        let name = k8s::name(&o.node).to_string();
        let backs_inference = (!sel.is_empty()
            && inference.iter().any(|w| {
                w.namespace == o.namespace && sel.iter().all(|(k, v)| w.labels.get(k) == Some(v))
            }))
            || is_inference_text(&name);
        if backs_inference {
            inference_services.push((o.namespace.clone(), name.clone()));
        }
        service_exposure(o, scan);
    }
    // KServe creates `<name>-predictor` services for an InferenceService.
    for w in &inference {
        if w.title.starts_with("InferenceService/") {
            let n = k8s::name(&w.obj.node);
            inference_services.push((w.namespace.to_string(), n.to_string()));
            inference_services.push((w.namespace.to_string(), format!("{n}-predictor")));
        }
    }
    let middlewares = traefik_middlewares(objects);
    let mut ingresses = 0;
    for o in objects.iter().filter(|o| k8s::kind(&o.node) == "Ingress") {
        ingresses += 1;
        ingress(o, &inference_services, &middlewares, scan);
    }
    network_policies(objects, &inference, scan);
    (ingresses, inference.len(), services)
}

fn service_exposure(o: &Object, scan: &mut Scan) {
    let ty = o
        .node
        .path(&["spec", "type"])
        .and_then(Node::as_str)
        .unwrap_or("ClusterIP");
    if ty != "LoadBalancer" && ty != "NodePort" {
        return;
    }
    let internal = annotations(&o.node).iter().any(|(k, v)| {
        (k.ends_with("load-balancer-internal") && v != "false")
            || (k == "networking.gke.io/load-balancer-type" && v.eq_ignore_ascii_case("internal"))
            || (k == "service.beta.kubernetes.io/aws-load-balancer-scheme" && v == "internal")
    });
    if internal {
        return;
    }
    let name = k8s::name(&o.node);
    let gateway = [
        "ingress", "gateway", "traefik", "envoy", "haproxy", "istio", "kong",
    ]
    .iter()
    .any(|g| name.contains(g));
    for p in o
        .node
        .path(&["spec", "ports"])
        .map(Node::items)
        .unwrap_or(&[])
    {
        let port = p.get("port").and_then(Node::as_i64).unwrap_or(0);
        let node_port = p.get("nodePort").and_then(Node::as_i64);
        if ty == "LoadBalancer" && port == 443 {
            continue;
        }
        // A gateway's 80 (where it redirects to https) and 443 are its job.
        if gateway && (port == 80 || port == 443) {
            continue;
        }
        let what = match (ty, node_port) {
            ("NodePort", Some(n)) => format!("node port {n} (service port {port})"),
            ("NodePort", None) => format!("a node port chosen by Kubernetes (service port {port})"),
            _ => format!("port {port}"),
        };
        scan.finding(
            K8S_SERVICE_EXPOSED,
            format!("{ty} Service {name} exposes {what} outside the cluster"),
        )
        .at(at(o, p));
    }
}

/// Traefik Middleware objects by name: (rate limit?, auth?).
fn traefik_middlewares(objects: &[Object]) -> BTreeMap<String, (bool, bool)> {
    let mut m = BTreeMap::new();
    for o in objects
        .iter()
        .filter(|o| k8s::kind(&o.node) == "Middleware")
    {
        let spec = o.node.get("spec");
        let has = |k: &str| spec.and_then(|s| s.get(k)).is_some();
        m.insert(
            k8s::name(&o.node).to_string(),
            (
                has("rateLimit") || has("inFlightReq"),
                has("forwardAuth") || has("basicAuth") || has("digestAuth"),
            ),
        );
    }
    m
}

fn ingress(
    o: &Object,
    inference: &[(String, String)],
    mws: &BTreeMap<String, (bool, bool)>,
    scan: &mut Scan,
) {
    let n = &o.node;
    let name = k8s::name(n);
    let spec = n.get("spec");
    let tls_hosts: Vec<&str> = spec
        .and_then(|s| s.get("tls"))
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .flat_map(|t| t.get("hosts").map(|h| h.strings()).unwrap_or_default())
        .collect();
    let has_tls = spec
        .and_then(|s| s.get("tls"))
        .is_some_and(|t| !t.items().is_empty());
    let rules = spec
        .and_then(|s| s.get("rules"))
        .map(Node::items)
        .unwrap_or(&[]);
    // TLS terminated by the cloud load balancer the Ingress provisions.
    let lb_tls = annotations(n).iter().any(|(k, _)| {
        matches!(
            k.as_str(),
            "alb.ingress.kubernetes.io/certificate-arn"
                | "networking.gke.io/managed-certificates"
                | "ingress.gcp.kubernetes.io/pre-shared-cert"
                | "networking.gke.io/pre-shared-cert"
                | "appgw.ingress.kubernetes.io/appgw-ssl-certificate"
        )
    });
    let has_tls = has_tls || lb_tls;
    if !has_tls {
        scan.finding(
            INGRESS_NO_TLS,
            format!("Ingress {name} has no spec.tls: its hosts are served over plain HTTP"),
        )
        .at(at(o, n));
    } else if !lb_tls {
        for r in rules {
            if let Some(h) = r.get("host").and_then(Node::as_str)
                && !tls_hosts.iter().any(|t| host_covered(t, h))
            {
                scan.finding(
                    INGRESS_NO_TLS,
                    format!("Ingress {name}: host {h} is not in any spec.tls hosts"),
                )
                .at(at(o, r));
            }
        }
    }
    // Which backends: inference ones?
    let mut backends: Vec<String> = Vec::new();
    let mut collect = |b: Option<&Node>| {
        if let Some(s) = b
            .and_then(|b| {
                b.path(&["service", "name"])
                    .or_else(|| b.get("serviceName"))
            })
            .and_then(Node::as_str)
        {
            backends.push(s.to_string());
        }
    };
    collect(spec.and_then(|s| s.get("defaultBackend").or_else(|| s.get("backend"))));
    for r in rules {
        for p in r.path(&["http", "paths"]).map(Node::items).unwrap_or(&[]) {
            collect(p.get("backend"));
        }
    }
    let Some(backend) = backends.iter().find(|b| {
        inference
            .iter()
            .any(|(ns, s)| *ns == o.namespace && s == *b)
            || is_inference_text(b)
    }) else {
        return;
    };
    let anns = annotations(n);
    let has = |pred: &dyn Fn(&str, &str) -> bool| anns.iter().any(|(k, v)| pred(k, v));
    let traefik: Vec<String> = ann(n, "traefik.ingress.kubernetes.io/router.middlewares")
        .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
        .unwrap_or_default();
    // `namespace-name@kubernetescrd` names a Middleware `name`.
    let mw = |want_rate: bool| {
        traefik.iter().any(|t| {
            let base = t.split('@').next().unwrap_or(t);
            let found = mws
                .iter()
                .find(|(name, _)| base == name.as_str() || base.ends_with(&format!("-{name}")));
            match found {
                Some((_, (rate, auth))) => {
                    if want_rate {
                        *rate
                    } else {
                        *auth
                    }
                }
                None => {
                    let b = base.to_ascii_lowercase();
                    if want_rate {
                        b.contains("ratelimit") || b.contains("rate-limit")
                    } else {
                        b.contains("auth")
                    }
                }
            }
        })
    };
    let kong_plugins = ann(n, "konghq.com/plugins")
        .unwrap_or("")
        .to_ascii_lowercase();
    let rate = has(&|k, _| {
        k.starts_with("nginx.ingress.kubernetes.io/limit-")
            || k == "nginx.ingress.kubernetes.io/global-rate-limit"
            || k.starts_with("haproxy.org/rate-limit")
            || k.starts_with("haproxy-ingress.github.io/limit-")
            || k == "alb.ingress.kubernetes.io/wafv2-acl-arn"
    }) || mw(true)
        || kong_plugins.contains("rate-limit");
    let auth = has(&|k, v| {
        matches!(
            k,
            "nginx.ingress.kubernetes.io/auth-url"
                | "nginx.ingress.kubernetes.io/auth-type"
                | "nginx.ingress.kubernetes.io/auth-signin"
                | "haproxy.org/auth-type"
                | "alb.ingress.kubernetes.io/auth-type"
        ) && v != "none"
            || (k == "nginx.ingress.kubernetes.io/auth-tls-verify-client"
                && (v == "on" || v == "true"))
    }) || mw(false)
        || ["key-auth", "jwt", "oauth2", "openid", "basic-auth", "oidc"]
            .iter()
            .any(|p| kong_plugins.contains(p));
    if !rate {
        scan.finding(INGRESS_RATE_LIMIT, format!("Ingress {name} routes to inference service {backend} with no rate-limit annotation or middleware"))
            .at(at(o, n));
    }
    if !auth {
        scan.finding(INGRESS_NO_AUTH, format!("Ingress {name} routes to inference service {backend} with no authentication annotation (auth-url, auth-type) or auth middleware"))
            .at(at(o, n));
    }
}

fn host_covered(pattern: &str, host: &str) -> bool {
    pattern == host
        || pattern
            .strip_prefix("*.")
            .is_some_and(|base| host.split_once('.').is_some_and(|(_, rest)| rest == base))
}

fn network_policies(objects: &[Object], inference: &[Inference], scan: &mut Scan) {
    let policies: Vec<&Object> = objects
        .iter()
        .filter(|o| k8s::kind(&o.node) == "NetworkPolicy")
        .collect();
    for w in inference {
        let mut selecting = Vec::new();
        for p in policies.iter().filter(|p| p.namespace == w.namespace) {
            let spec = p.node.get("spec");
            let sel = spec.and_then(|s| s.get("podSelector"));
            if !selects(sel, &w.labels) {
                continue;
            }
            let types: Vec<&str> = spec
                .and_then(|s| s.get("policyTypes"))
                .map(|t| t.strings())
                .unwrap_or_default();
            let ingress_rules = spec.and_then(|s| s.get("ingress"));
            let governs_ingress = types.contains(&"Ingress") || (types.is_empty());
            if governs_ingress {
                selecting.push((p, ingress_rules));
            }
        }
        let loc = at(w.obj, &w.obj.node);
        if selecting.is_empty() {
            let any_in_ns = policies.iter().any(|p| p.namespace == w.namespace);
            let why = if any_in_ns {
                format!(
                    "no NetworkPolicy in namespace {} selects its pods",
                    w.namespace
                )
            } else {
                format!("namespace {} has no NetworkPolicy at all", w.namespace)
            };
            scan.finding(
                K8S_NETWORK_POLICY,
                format!(
                    "{}: {why}, so every pod in the cluster can reach the inference API",
                    w.title
                ),
            )
            .at(loc);
            continue;
        }
        // Selected, but a rule that admits everyone (`- {}`) opens it again.
        let open = selecting.iter().find(|(_, rules)| {
            rules.is_some_and(|r| {
                r.items().iter().any(|rule| {
                    rule.get("from").is_none_or(|f| f.items().is_empty())
                        && rule.get("ports").is_none()
                })
            })
        });
        if let Some((p, _)) = open {
            scan.finding(
                K8S_NETWORK_POLICY,
                format!(
                    "{}: NetworkPolicy {} allows ingress from everywhere (a rule without `from`)",
                    w.title,
                    k8s::name(&p.node)
                ),
            )
            .at(p.k8s.at(&p.node))
            .severity(Severity::Medium);
        }
    }
}
