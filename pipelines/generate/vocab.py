"""Word lists for the synthetic feed: topic vocabularies, shared filler, names.

Every topic has its own phrases (titles, abstracts and ai_keywords draw on them) and
its own arXiv categories; the filler below is shared by all topics, so a topic model
has to separate topics by their phrases, not by boilerplate. Phrases are unique
across topics (a test holds this), so the generated topic is recoverable.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    slug: str
    categories: tuple[str, ...]  # first is the usual primary arXiv category
    name_parts: tuple[str, ...]  # model-name stems ("Splat" -> "SplatFormer")
    terms: tuple[str, ...]  # topic phrases, most specific first


TOPICS: tuple[Topic, ...] = (
    Topic(
        "large-language-models",
        ("cs.CL", "cs.AI", "cs.LG"),
        ("LM", "Lingua", "Token", "Instruct", "Chat"),
        (
            "large language models", "LLMs", "instruction tuning", "in-context learning", "prompting",
            "pretrained language models", "next-token prediction", "decoder-only transformers",
            "supervised fine-tuning", "instruction following", "language modeling", "open-weight models",
            "model merging", "synthetic instruction data", "emergent abilities", "perplexity",
        ),
    ),
    Topic(
        "machine-translation",
        ("cs.CL",),
        ("Trans", "Poly", "Babel", "Lingo"),
        (
            "machine translation", "multilingual models", "cross-lingual transfer", "low-resource languages",
            "parallel corpora", "BLEU scores", "code-switching", "translation quality estimation",
            "language identification", "morphologically rich languages", "transliteration",
            "bilingual lexicons", "document-level translation", "speech translation",
        ),
    ),
    Topic(
        "retrieval-augmented-generation",
        ("cs.CL", "cs.IR"),
        ("RAG", "Retro", "Search", "Recall"),
        (
            "retrieval-augmented generation", "RAG", "dense retrieval", "retrievers", "reranking",
            "passage retrieval", "knowledge bases", "query rewriting", "embedding models", "vector databases",
            "open-domain question answering", "citation grounding", "document chunking", "hybrid search",
            "multi-hop retrieval",
        ),
    ),
    Topic(
        "dialogue-systems",
        ("cs.CL", "cs.HC"),
        ("Dial", "Converse", "Persona", "Talk"),
        (
            "dialogue systems", "conversational agents", "multi-turn conversations", "chatbots",
            "persona consistency", "user simulators", "dialogue state tracking", "response generation",
            "role-playing", "empathetic responses", "task-oriented dialogue", "conversation history",
        ),
    ),
    Topic(
        "long-context",
        ("cs.CL", "cs.LG"),
        ("Long", "Span", "Infini", "Context"),
        (
            "long-context modeling", "context windows", "length extrapolation", "positional encodings",
            "RoPE scaling", "needle-in-a-haystack", "long documents", "context compression",
            "sliding window attention", "long-range dependencies", "million-token contexts", "memory tokens",
        ),
    ),
    Topic(
        "object-detection",
        ("cs.CV",),
        ("Det", "YOLO", "Box", "Spot"),
        (
            "object detection", "bounding boxes", "open-vocabulary detection", "YOLO detectors",
            "detection transformers", "anchor-free detectors", "small object detection", "COCO",
            "region proposals", "non-maximum suppression", "oriented bounding boxes", "detection heads",
        ),
    ),
    Topic(
        "image-segmentation",
        ("cs.CV",),
        ("Seg", "Mask", "Pixel", "Part"),
        (
            "semantic segmentation", "instance segmentation", "panoptic segmentation", "Segment Anything",
            "mask decoders", "pixel-level labels", "referring segmentation", "mask prompts",
            "boundary refinement", "weakly supervised segmentation", "segmentation masks", "ADE20K",
        ),
    ),
    Topic(
        "video-understanding",
        ("cs.CV",),
        ("Video", "Clip", "Temporal", "Ego"),
        (
            "video understanding", "action recognition", "temporal grounding", "video question answering",
            "long video understanding", "video LLMs", "temporal reasoning", "frame sampling",
            "egocentric video", "spatio-temporal features", "video captioning", "event localization",
        ),
    ),
    Topic(
        "3d-reconstruction",
        ("cs.CV", "cs.GR"),
        ("Splat", "NeRF", "Recon", "Geo"),
        (
            "3D reconstruction", "Gaussian splatting", "neural radiance fields", "novel view synthesis",
            "multi-view stereo", "point clouds", "monocular depth estimation", "SLAM", "camera pose estimation",
            "surface reconstruction", "signed distance functions", "sparse-view reconstruction",
        ),
    ),
    Topic(
        "human-motion",
        ("cs.CV", "cs.GR"),
        ("Motion", "Pose", "Avatar", "Body"),
        (
            "human motion", "human pose estimation", "motion generation", "SMPL", "digital avatars",
            "hand-object interaction", "motion capture", "body shape", "gesture synthesis",
            "human mesh recovery", "dance generation", "kinematic chains",
        ),
    ),
    Topic(
        "image-restoration",
        ("eess.IV", "cs.CV"),
        ("Restore", "Clear", "Sharp", "Res"),
        (
            "super-resolution", "image denoising", "deblurring", "image restoration", "low-light enhancement",
            "dehazing", "inpainting", "JPEG artifacts", "rain removal", "blind restoration",
            "perceptual quality", "degradation models",
        ),
    ),
    Topic(
        "vision-language-models",
        ("cs.CV", "cs.CL"),
        ("VL", "LLaVA", "Vision", "Eye"),
        (
            "vision-language models", "VLMs", "multimodal large language models", "visual question answering",
            "image captioning", "visual instruction tuning", "CLIP", "visual tokens", "image-text alignment",
            "visual grounding", "chart understanding", "document understanding", "OCR",
        ),
    ),
    Topic(
        "diffusion-models",
        ("cs.CV", "cs.LG"),
        ("Diff", "Flow", "Denoise", "Score"),
        (
            "diffusion models", "denoising diffusion", "score-based models", "diffusion transformers",
            "latent diffusion", "sampling steps", "classifier-free guidance", "noise schedules",
            "consistency models", "rectified flow", "flow matching", "DDIM sampling",
        ),
    ),
    Topic(
        "image-generation",
        ("cs.CV",),
        ("Paint", "Gen", "Canvas", "Pix"),
        (
            "text-to-image generation", "image synthesis", "subject-driven generation", "personalized generation",
            "prompt adherence", "compositional generation", "layout control", "image editing", "style transfer",
            "ControlNet", "FID", "aesthetic quality",
        ),
    ),
    Topic(
        "video-generation",
        ("cs.CV",),
        ("Anim", "Movie", "Sora", "Frame"),
        (
            "video generation", "text-to-video", "image-to-video", "temporal consistency", "video diffusion",
            "camera control", "world models", "frame interpolation", "motion dynamics", "long video generation",
            "physical plausibility", "video tokenizers",
        ),
    ),
    Topic(
        "3d-generation",
        ("cs.CV", "cs.GR"),
        ("Mesh", "Shape", "Tex", "Dream"),
        (
            "text-to-3D", "image-to-3D", "3D assets", "mesh generation", "texture generation",
            "score distillation sampling", "multi-view diffusion", "3D content creation", "triplanes",
            "PBR materials", "3D scene generation", "UV maps",
        ),
    ),
    Topic(
        "reinforcement-learning",
        ("cs.LG", "cs.AI"),
        ("Q", "Policy", "Reward", "Explore"),
        (
            "reinforcement learning", "policy optimization", "reward shaping", "offline RL", "Q-learning",
            "Markov decision processes", "exploration strategies", "value functions", "actor-critic methods",
            "sample efficiency", "policy gradients", "model-based RL",
        ),
    ),
    Topic(
        "llm-reasoning",
        ("cs.CL", "cs.AI"),
        ("Think", "Reason", "R1", "Chain"),
        (
            "chain-of-thought", "reasoning traces", "verifiable rewards", "GRPO", "test-time scaling",
            "long chain-of-thought", "process reward models", "self-reflection", "overthinking",
            "thinking tokens", "reasoning models", "step-by-step reasoning",
        ),
    ),
    Topic(
        "mathematical-reasoning",
        ("cs.AI", "cs.CL", "cs.LO"),
        ("Math", "Prove", "Lean", "Euclid"),
        (
            "mathematical reasoning", "math word problems", "theorem proving", "Lean 4", "formal proofs",
            "olympiad problems", "GSM8K", "MATH-500", "AIME", "geometry problems", "symbolic solvers",
            "proof search",
        ),
    ),
    Topic(
        "ai-agents",
        ("cs.AI", "cs.CL"),
        ("Agent", "Web", "Act", "Auto"),
        (
            "LLM agents", "agentic workflows", "tool use", "function calling", "task planning",
            "multi-agent collaboration", "web agents", "GUI agents", "computer use", "task decomposition",
            "agent benchmarks", "agent memory",
        ),
    ),
    Topic(
        "robotics",
        ("cs.RO", "cs.AI"),
        ("Robo", "Grasp", "VLA", "Dex"),
        (
            "robot manipulation", "vision-language-action models", "embodied agents", "grasping", "locomotion",
            "humanoid robots", "imitation learning", "sim-to-real transfer", "dexterous hands", "robot policies",
            "teleoperation", "robot demonstrations",
        ),
    ),
    Topic(
        "autonomous-driving",
        ("cs.RO", "cs.CV"),
        ("Drive", "BEV", "Lidar", "Road"),
        (
            "autonomous driving", "trajectory prediction", "bird's-eye-view perception", "LiDAR", "driving scenes",
            "motion planning", "occupancy prediction", "end-to-end driving", "traffic agents", "nuScenes",
            "sensor fusion", "closed-loop evaluation",
        ),
    ),
    Topic(
        "speech-audio",
        ("cs.SD", "eess.AS", "cs.CL"),
        ("Voice", "Audio", "Speech", "Sonic"),
        (
            "speech recognition", "text-to-speech", "spoken language", "voice cloning", "audio tokenizers",
            "speech synthesis", "audio language models", "speaker verification", "prosody", "ASR",
            "music generation", "audio captioning",
        ),
    ),
    Topic(
        "efficient-inference",
        ("cs.LG", "cs.CL"),
        ("Quant", "Lite", "Fast", "Spec"),
        (
            "quantization", "low-bit weights", "pruning", "KV cache", "speculative decoding", "inference latency",
            "memory footprint", "sparse attention", "post-training quantization", "throughput", "token merging",
            "on-device deployment",
        ),
    ),
    Topic(
        "mixture-of-experts",
        ("cs.LG", "cs.CL"),
        ("MoE", "Expert", "Route", "Switch"),
        (
            "mixture-of-experts", "MoE", "expert routing", "load balancing", "sparse experts", "router networks",
            "expert parallelism", "top-k gating", "expert specialization", "sparse upcycling", "auxiliary losses",
            "activated parameters",
        ),
    ),
    Topic(
        "parameter-efficient-fine-tuning",
        ("cs.LG", "cs.CL"),
        ("LoRA", "Adapt", "Tune", "Rank"),
        (
            "parameter-efficient fine-tuning", "LoRA", "low-rank adaptation", "adapters", "prompt tuning",
            "prefix tuning", "rank allocation", "fine-tuning budgets", "frozen backbones", "trainable parameters",
            "adapter merging", "weight decomposition",
        ),
    ),
    Topic(
        "alignment-safety",
        ("cs.CL", "cs.AI", "cs.CR"),
        ("Align", "Safe", "Guard", "Shield"),
        (
            "alignment", "RLHF", "direct preference optimization", "reward models", "human preferences",
            "jailbreak attacks", "red teaming", "harmful content", "safety guardrails", "refusal behavior",
            "preference data", "reward hacking",
        ),
    ),
    Topic(
        "interpretability-hallucination",
        ("cs.CL", "cs.LG"),
        ("Probe", "Lens", "Truth", "Fact"),
        (
            "hallucination", "factuality", "interpretability", "sparse autoencoders", "mechanistic interpretability",
            "probing classifiers", "attention heads", "circuits", "feature attribution", "faithfulness",
            "uncertainty estimation", "calibration",
        ),
    ),
    Topic(
        "ai-for-science",
        ("q-bio.BM", "physics.comp-ph", "cs.LG", "cond-mat.mtrl-sci"),
        ("Mol", "Prot", "Chem", "Atom"),
        (
            "protein structure prediction", "molecular generation", "drug discovery", "materials discovery",
            "weather forecasting", "climate models", "genomics", "single-cell data", "chemical reactions",
            "PDE solvers", "physics-informed neural networks", "crystal structures",
        ),
    ),
    Topic(
        "medical-ai",
        ("eess.IV", "cs.CV", "cs.CL"),
        ("Med", "Clinic", "Radio", "Path"),
        (
            "medical imaging", "clinical notes", "radiology reports", "pathology slides",
            "electronic health records", "diagnosis", "MRI", "CT scans", "patient outcomes",
            "medical question answering", "biomedical literature", "lesion segmentation",
        ),
    ),
    Topic(
        "code-generation",
        ("cs.SE", "cs.CL"),
        ("Code", "Coder", "SWE", "Repo"),
        (
            "code generation", "program synthesis", "software engineering", "SWE-bench", "repository-level coding",
            "unit tests", "bug fixing", "code LLMs", "code review", "compilers", "pass@k", "code completion",
        ),
    ),
    Topic(
        "recommender-systems",
        ("cs.IR", "cs.LG"),
        ("Rec", "Rank", "Click", "Item"),
        (
            "recommender systems", "collaborative filtering", "click-through rate prediction", "user modeling",
            "sequential recommendation", "cold-start users", "item embeddings", "ranking models",
            "user interests", "session-based recommendation",
        ),
    ),
    Topic(
        "time-series",
        ("cs.LG", "stat.ML"),
        ("Time", "Chrono", "Tempo", "Cast"),
        (
            "time series forecasting", "temporal patterns", "anomaly detection", "multivariate time series",
            "forecasting horizons", "seasonality", "spatio-temporal forecasting", "time series foundation models",
            "irregular sampling", "traffic forecasting",
        ),
    ),
    Topic(
        "graph-learning",
        ("cs.LG", "cs.SI"),
        ("Graph", "Node", "Edge", "GNN"),
        (
            "graph neural networks", "GNNs", "knowledge graphs", "node classification", "link prediction",
            "message passing", "graph transformers", "heterogeneous graphs", "oversmoothing", "graph structure",
        ),
    ),
)  # fmt: skip

# arXiv categories the synthetic listing crawler follows (like the real one: cs.* and eess.*);
# a paper whose primary category is elsewhere (q-bio, physics, cond-mat) is not in the listings.
CRAWLED_CATEGORY_PREFIXES = ("cs.", "eess.", "stat.")
GENERAL_CATEGORIES = ("cs.AI", "cs.LG", "cs.CL", "cs.CV", "stat.ML", "cs.MM")

# --------------------------------------------------------------------------- shared filler

ADJECTIVES = (
    "efficient", "scalable", "robust", "unified", "simple", "lightweight", "adaptive", "general", "versatile",
    "principled", "flexible", "training-free", "data-efficient", "interpretable", "controllable", "reliable",
    "holistic", "fine-grained", "hierarchical", "self-supervised", "zero-shot", "open", "compact", "modular",
)  # fmt: skip
NOUNS = (
    "framework", "approach", "method", "pipeline", "architecture", "model", "strategy", "paradigm", "system",
    "recipe", "toolkit", "mechanism", "objective", "module", "algorithm", "formulation",
)  # fmt: skip
BENCH_NOUNS = ("benchmark", "dataset", "suite", "testbed", "corpus", "leaderboard", "evaluation protocol")
GERUNDS = (
    "Improving", "Scaling", "Rethinking", "Understanding", "Learning", "Boosting", "Unlocking", "Revisiting",
    "Bridging", "Enhancing", "Aligning", "Towards", "Exploring", "Benchmarking", "Accelerating", "Training",
)  # fmt: skip
VERBS = (
    "improves", "enhances", "unifies", "accelerates", "stabilizes", "simplifies", "strengthens", "extends",
    "generalizes", "leverages", "couples", "integrates", "decouples", "refines",
)  # fmt: skip
PROBLEMS = (
    "generalize poorly to unseen settings", "require costly human annotation", "scale poorly with data",
    "suffer from error accumulation", "ignore fine-grained structure", "rely on heuristic design choices",
    "are sensitive to distribution shift", "incur prohibitive computational cost", "lack reliable evaluation",
)  # fmt: skip
OUTCOMES = (
    "consistently outperforms strong baselines", "achieves state-of-the-art results",
    "matches much larger models", "reduces computational cost substantially", "improves sample efficiency",
    "sets a new state of the art", "delivers competitive performance at a fraction of the cost",
)  # fmt: skip
# Technical terms every topic may use: they dilute the topic phrases like real boilerplate does.
SHARED_TERMS = (
    "transformers", "attention mechanisms", "contrastive learning", "self-supervised learning",
    "knowledge distillation", "data augmentation", "curriculum learning", "synthetic data", "scaling laws",
    "zero-shot generalization", "representation learning", "benchmark evaluation", "ablation studies",
    "human evaluation", "error analysis", "training stability", "evaluation metrics", "pretraining corpora",
    "model capacity", "inductive biases",
)  # fmt: skip
FILLER_SENTENCES = (
    "We conduct extensive ablation studies to isolate the contribution of each component.",
    "All components are trained end to end with a single objective.",
    "The approach requires no additional human annotation.",
    "We release our code, data and model checkpoints to facilitate future research.",
    "Our analysis further reveals several practical insights for practitioners.",
    "The method is simple to implement and adds negligible overhead at inference time.",
    "We also discuss limitations and directions for future work.",
    "Experiments cover a wide range of model sizes and data regimes.",
    "Qualitative examples illustrate the behaviour of the model in challenging cases.",
    "These findings hold across different architectures and training budgets.",
)  # fmt: skip
# Rare decorations of real abstracts: LaTeX fragments and non-ASCII punctuation.
LATEX_BITS = (
    "cuts the complexity to $\\mathcal{O}(n \\log n)$", "runs in $\\mathcal{O}(n)$ time", "is $2\\times$ faster",
    "gains $\\sim$30\\% accuracy", "works \\emph{without} retraining", "reduces the $\\ell_2$ error by half",
    "needs only $10^{-3}$ of the labels", "scales as $\\mathcal{O}(\\sqrt{n})$",
)  # fmt: skip
UNICODE_BITS = ("—", "–", "“state of the art”", "×", "≈", "’s")
COMMENTS = (
    "{p} pages, {f} figures", "{p} pages, {f} figures, {t} tables", "Accepted to {venue}",
    "Accepted at {venue}; {p} pages", "Project page: https://{slug}.github.io", "Technical report",
    "Work in progress", "Preprint. Under review", "{p} pages. Code: https://github.com/{owner}/{slug}",
)  # fmt: skip
VENUES = ("CVPR 2024", "ICLR 2024", "NeurIPS 2024", "ACL 2024", "ICML 2024", "EMNLP 2024", "ECCV 2024", "AAAI 2025")

# --------------------------------------------------------------------------- names

NAME_SUFFIXES = (
    "Former", "Net", "GPT", "Bench", "Gen", "Fusion", "Mamba", "Lite", "Pro", "X", "Zero", "One", "Omni",
    "Mind", "Craft", "Bridge", "Scope", "Pilot", "Sense", "Agent", "Flow", "Star", "Forge", "Verse",
)  # fmt: skip
NAME_PREFIXES = ("Omni", "Uni", "Mega", "Flash", "Deep", "Open", "Hyper", "Meta", "Next", "Any", "Auto", "Magic")
NAME_VERSIONS = ("-R1", "-2", "-V2", "++", "-Pro", "-Zero", "1.5", "-XL", "-7B", "-Mini")

FIRST_NAMES_ZH = (
    "Wei", "Jing", "Hao", "Yu", "Xin", "Jie", "Yang", "Lei", "Ming", "Yi", "Chen", "Tao", "Jun", "Hui", "Lin",
    "Zhe", "Yuxuan", "Zihan", "Haoran", "Jiaqi", "Shuai", "Kai", "Rui", "Xiang", "Bo", "Qian", "Zhiyuan",
    "Tianyu", "Yifan", "Siyuan", "Xinyu", "Jiahao", "Ziwei", "Mengyao", "Chenxi", "Hongyu", "Peng", "Fan",
)  # fmt: skip
LAST_NAMES_ZH = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu",
    "Guo", "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Tang", "Han", "Feng", "Deng", "Cao", "Peng",
)  # fmt: skip
FIRST_NAMES_OTHER = (
    "James", "Maria", "David", "Anna", "Michael", "Sarah", "Daniel", "Laura", "Thomas", "Elena", "Lukas", "Sofia",
    "Arjun", "Priya", "Rahul", "Ananya", "Min-jun", "Ji-woo", "Hiroshi", "Yuki", "Omar", "Fatima", "Ivan",
    "Olga", "Pierre", "Camille", "Matteo", "Giulia", "Noah", "Emma", "Ahmed", "Sara", "Kenji", "Aisha",
    "José", "Zoë", "Søren", "Łukasz", "Jürgen", "Chloé", "Mónica", "Çağrı",
)  # fmt: skip
LAST_NAMES_OTHER = (
    "Smith", "Garcia", "Müller", "Rossi", "Kim", "Park", "Lee", "Singh", "Patel", "Sharma", "Tanaka", "Suzuki",
    "Ivanov", "Petrov", "Dubois", "Martin", "Bianchi", "Johnson", "Brown", "Nguyen", "Tran", "Hassan", "Ali",
    "Kowalski", "Novak", "Jensen", "Silva", "Santos", "Cohen", "Levi", "Yilmaz", "Fernández", "Schäfer",
    "Gutiérrez", "Nakamura", "Choi", "Gupta", "Das", "Okafor", "Mensah",
)  # fmt: skip
ORG_WORDS = (
    "vision", "nlp", "ai", "ml", "robotics", "data", "deep", "learning", "intelligence", "lab", "research",
    "group", "systems", "labs", "foundation", "tech", "science", "mind", "compute", "open",
)  # fmt: skip
ORG_PLACES = (
    "north", "south", "lake", "river", "summit", "harbor", "pine", "cedar", "delta", "aurora", "nova", "orion",
    "atlas", "meridian", "zenith", "horizon", "polaris", "vega", "sierra", "coastal", "metro", "alpine",
)  # fmt: skip
