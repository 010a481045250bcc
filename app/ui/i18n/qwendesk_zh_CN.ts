<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <location filename="../about.py" line="+32"/>
        <source>Chat with Qwen3 models on this computer: local and private.</source>
        <translation>在本机与 Qwen3 模型对话：本地运行，保护隐私。</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>QwenDesk makes no network connections except the ones you ask for: listing or downloading models from the Hugging Face Hub, a server you connect to, and the MCP tool servers you enable. No telemetry, no update checks. Conversations, documents and models stay on this computer.</source>
        <translation>QwenDesk 只进行你要求的网络连接：从 Hugging Face Hub 列出或下载模型、你连接的服务器，以及你启用的 MCP 工具服务器。没有遥测，也不检查更新。对话、文档和模型都保存在这台电脑上。</translation>
    </message>
    <message>
        <location line="+46"/>
        <source>About {app}</source>
        <translation>关于 {app}</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Version {version}</source>
        <translation>版本 {version}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{label}:</source>
        <translation>{label}：</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Copy versions</source>
        <translation>复制版本信息</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Copy the versions above, for a bug report</source>
        <translation>复制以上版本信息，用于提交问题报告</translation>
    </message>
</context>
<context>
    <name>AnswerView</name>
    <message>
        <location filename="../answer_view.py" line="+121"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
</context>
<context>
    <name>ApiServerDialog</name>
    <message>
        <location filename="../api_server_dialog.py" line="+113"/>
        <source>Local API server</source>
        <translation>本地 API 服务</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Lets other apps on this computer use the model loaded in QwenDesk through the OpenAI API (/v1/chat/completions, /v1/models). Requests take turns with your own chats.</source>
        <translation>让本机的其他应用通过 OpenAI API（/v1/chat/completions、/v1/models）使用 QwenDesk 已加载的模型。这些请求与你自己的对话轮流使用模型。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Serve the loaded model</source>
        <translation>对外提供已加载的模型</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Allow other devices on the network (needs an API key)</source>
        <translation>允许网络上的其他设备访问（需要 API 密钥）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>none: only this computer can connect</source>
        <translation>无：只有本机可以连接</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Copy address</source>
        <translation>复制地址</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Listening on the network needs an API key: generate one first.</source>
        <translation>在网络上监听需要 API 密钥：请先生成一个。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>The key is kept for this session only: {why}</source>
        <translation>密钥只在本次运行期间保留：{why}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Not running: {error}</source>
        <translation>未运行：{error}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Running at {url}</source>
        <translation>运行中：{url}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Listening on every network interface of this computer.</source>
        <translation>正在本机所有网络接口上监听。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Off.</source>
        <translation>已关闭。</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../app.py" line="+98"/>
        <source>QwenDesk is already running with this chat history, but its window does not answer. Close it (or end it in the task manager), then start QwenDesk again.</source>
        <translation>QwenDesk 已在使用这份聊天记录运行，但它的窗口没有响应。请先关闭它（或在任务管理器中结束它），再重新启动 QwenDesk。</translation>
    </message>
</context>
<context>
    <name>AttachmentChip</name>
    <message>
        <location filename="../attachments.py" line="+114"/>
        <source>Text encoding: {encoding}</source>
        <translation>文本编码：{encoding}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Remove this file: later answers will not use it</source>
        <translation>移除此文件：之后的回答将不再使用它</translation>
    </message>
    <message numerus="yes">
        <location line="+7"/>
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n 页</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Attachments</name>
    <message>
        <location line="-83"/>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>All files</source>
        <translation>所有文件</translation>
    </message>
</context>
<context>
    <name>ChatController</name>
    <message>
        <location filename="../chat_controller.py" line="+297"/>
        <source>An answer is being written: stop it or wait, then send the edit.</source>
        <translation>正在生成回答：请先停止或等待它完成，再发送修改。</translation>
    </message>
    <message>
        <location line="+96"/>
        <source>No model is loaded: choose a Qwen3 GGUF to chat with.</source>
        <translation>尚未加载模型：请选择一个 Qwen3 GGUF 模型来对话。</translation>
    </message>
    <message>
        <location filename="../context_offers.py" line="+32"/>
        <source>about {s} s</source>
        <translation>约 {s} 秒</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>about {m} min</source>
        <translation>约 {m} 分钟</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>about {h} h {m} min</source>
        <translation>约 {h} 小时 {m} 分钟</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Reading the whole attached documents (about {tokens} tokens) would take {about} on this computer: this answer uses the most relevant passages.</source>
        <translation>在这台电脑上读取完整的附加文档（约 {tokens} 个 token）需要{about}：本次回答只使用最相关的段落。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Read the whole documents instead ({about})</source>
        <translation>改为读取完整文档（{about}）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Read the whole document instead ({about})</source>
        <translation>改为读取完整文档（{about}）</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>The attached documents (about {tokens} tokens) do not fit in the loaded context: this answer uses the most relevant passages.</source>
        <translation>附加的文档（约 {tokens} 个 token）超出了当前加载的上下文：本次回答只使用最相关的段落。</translation>
    </message>
    <message>
        <location line="+24"/>
        <source>, YaRN ×{factor}</source>
        <translation>，YaRN ×{factor}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Reload with a {n}-token context{yarn} (KV cache {kv} GiB) and read the whole documents</source>
        <translation>以 {n} token 上下文重新加载{yarn}（KV 缓存 {kv} GiB），读取完整文档</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Reload with a {n}-token context{yarn} (KV cache {kv} GiB)</source>
        <translation>以 {n} token 上下文重新加载{yarn}（KV 缓存 {kv} GiB）</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <location filename="../composer.py" line="+129"/>
        <source>Message Qwen3…  (Enter sends, Shift+Enter for a new line)</source>
        <translation>给 Qwen3 发消息…（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Attach…</source>
        <translation>添加附件…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Attach documents to ask about: PDF, DOCX, TXT, MD, HTML, CSV, code (or drop files here)</source>
        <translation>添加要提问的文档：PDF、DOCX、TXT、MD、HTML、CSV、代码（也可以把文件拖到这里）</translation>
    </message>
    <message>
        <location line="+19"/>
        <location line="+104"/>
        <source>Think</source>
        <translation>思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Thinking mode for this conversation (Qwen3&apos;s enable_thinking)</source>
        <translation>此对话的思考模式（Qwen3 的 enable_thinking）</translation>
    </message>
    <message>
        <location line="-96"/>
        <source>no limit</source>
        <translation>不限</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> tokens</source>
        <translation> token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Thinking budget: at most this many reasoning tokens, then the model answers</source>
        <translation>思考预算：最多生成这么多推理 token，之后模型开始回答</translation>
    </message>
    <message>
        <location line="+4"/>
        <location line="+127"/>
        <source>Choose a model…</source>
        <translation>选择模型…</translation>
    </message>
    <message>
        <location line="-116"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Stop loading this model</source>
        <translation>停止加载此模型</translation>
    </message>
    <message>
        <location line="+3"/>
        <location line="+155"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location line="-144"/>
        <source>Budget:</source>
        <translation>预算：</translation>
    </message>
    <message>
        <location line="+65"/>
        <source>Think: never</source>
        <translation>思考：从不</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This model never thinks (an Instruct-2507 model): it answers directly. Load a Qwen3 or a Thinking-2507 model to see its reasoning.</source>
        <translation>此模型从不思考（Instruct-2507 模型）：它会直接回答。加载 Qwen3 或 Thinking-2507 模型才能看到推理过程。</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Think: always</source>
        <translation>思考：始终</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This model always thinks (a Thinking-2507 model): it cannot be switched off, but the thinking budget limits it.</source>
        <translation>此模型始终思考（Thinking-2507 模型）：无法关闭思考，但思考预算可以限制它。</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Remote: {name} @ {host}</source>
        <translation>远程：{name} @ {host}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Answers come from {host}: your messages, and the text of attached documents, are sent there and leave this computer.</source>
        <translation>回答来自 {host}：你的消息以及附加文档的文本会发送到那里，离开本机。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Model: {name}</source>
        <translation>模型：{name}</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Connecting to {host}…</source>
        <translation>正在连接 {host}…</translation>
    </message>
    <message>
        <location line="+22"/>
        <source>Reading {name}… %p%</source>
        <translation>正在读取 {name}… %p%</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
</context>
<context>
    <name>ConversationFiles</name>
    <message>
        <location filename="../conversation_files.py" line="+69"/>
        <source>{name} is already attached to this conversation.</source>
        <translation>{name} 已附加到此对话。</translation>
    </message>
</context>
<context>
    <name>ConversationList</name>
    <message>
        <location filename="../conversation_list.py" line="+66"/>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Older</source>
        <translation>更早</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>just now</source>
        <translation>刚刚</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} min ago</source>
        <translation>{n} 分钟前</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{n} h ago</source>
        <translation>{n} 小时前</translation>
    </message>
    <message>
        <location line="+50"/>
        <source>Search conversations (Ctrl+F)</source>
        <translation>搜索对话（Ctrl+F）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>New conversation (Ctrl+N)</source>
        <translation>新建对话（Ctrl+N）</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>Think on</source>
        <translation>思考：开</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Think off</source>
        <translation>思考：关</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>remote: {host}</source>
        <translation>远程：{host}</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Sent to {host}, outside this computer.</source>
        <translation>已发送到本机之外的 {host}。</translation>
    </message>
    <message>
        <location line="+41"/>
        <source>Rename…</source>
        <translation>重命名…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Rename conversation</source>
        <translation>重命名对话</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Title:</source>
        <translation>标题：</translation>
    </message>
</context>
<context>
    <name>ConversationSettingsDialog</name>
    <message>
        <location filename="../conversation_settings.py" line="+23"/>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Presence penalty</source>
        <translation>存在惩罚</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Conversation settings</source>
        <translation>对话设置</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Optional instructions for the whole conversation</source>
        <translation>可选：对整个对话生效的指令</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Sampling (empty = Qwen&apos;s thinking preset)</source>
        <translation>采样参数（留空即使用 Qwen 的思考模式预设）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sampling (empty = Qwen&apos;s non-thinking preset)</source>
        <translation>采样参数（留空即使用 Qwen 的非思考模式预设）</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>preset ({value})</source>
        <translation>预设（{value}）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>default ({n})</source>
        <translation>默认（{n}）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>How many rounds of tool calls one answer may use before it stops</source>
        <translation>一个回答最多可以进行多少轮工具调用，超过即停止</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Tool-call rounds per answer</source>
        <translation>每个回答的工具调用轮数</translation>
    </message>
</context>
<context>
    <name>EngineBridge</name>
    <message>
        <location filename="../engine_bridge.py" line="+344"/>
        <source>Unexpected engine failure: {error}</source>
        <translation>推理引擎意外出错：{error}</translation>
    </message>
</context>
<context>
    <name>LoadSettingsDialog</name>
    <message>
        <location filename="../load_settings.py" line="+53"/>
        <source>Load settings — {model}</source>
        <translation>加载设置 — {model}</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{n} tokens</source>
        <translation>{n} token</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This llama-cpp-python build has no GPU backend (CUDA, Metal or Vulkan): the model runs on the CPU. See the README to build the engine with GPU support.</source>
        <translation>此 llama-cpp-python 构建没有 GPU 后端（CUDA、Metal 或 Vulkan）：模型将在 CPU 上运行。如需 GPU 支持，请参阅 README 重新构建推理引擎。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>f16 (best quality)</source>
        <translation>f16（质量最佳）</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>q8_0 (half the memory)</source>
        <translation>q8_0（内存减半）</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Flash attention</source>
        <translation>Flash Attention</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Auto ({n})</source>
        <translation>自动（{n}）</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Context length:</source>
        <translation>上下文长度：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>KV cache:</source>
        <translation>KV 缓存：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>CPU threads:</source>
        <translation>CPU 线程数：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Load</source>
        <translation>加载</translation>
    </message>
    <message>
        <location line="+56"/>
        <source>Needed by a quantized KV cache</source>
        <translation>量化的 KV 缓存需要开启此项</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Auto ({shown} of {total})</source>
        <translation>自动（{shown}/{total}）</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Beyond the {native} tokens this model reads without scaling: YaRN rope scaling ×{factor} (over {orig}) will be on; it can slightly lower quality on short texts.</source>
        <translation>超出此模型无需缩放即可读取的 {native} token：将启用 YaRN RoPE 缩放 ×{factor}（基于 {orig}）；短文本的质量可能略有下降。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This file&apos;s metadata turns YaRN ×{factor} on for {max} tokens; at this context it is loaded without rope scaling, for full quality. YaRN goes on only beyond {native}.</source>
        <translation>此文件的元数据为 {max} token 启用了 YaRN ×{factor}；在当前上下文下加载时不使用 RoPE 缩放，以保证完整质量。只有超出 {native} 时才会启用 YaRN。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No rope scaling up to {native} tokens. Up to {max} with YaRN.</source>
        <translation>{native} token 以内不使用 RoPE 缩放。启用 YaRN 最多可达 {max}。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Native context: up to {max} tokens without rope scaling.</source>
        <translation>原生上下文：最多 {max} token，无需 RoPE 缩放。</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Load settings</source>
        <translation>加载设置</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="+65"/>
        <location line="+208"/>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <location line="-197"/>
        <source>Settings…</source>
        <translation>设置…</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <location line="+38"/>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;New chat</source>
        <translation>新对话(&amp;N)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Models…</source>
        <translation>模型(&amp;M)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Open a GGUF &amp;file…</source>
        <translation>打开 GGUF 文件(&amp;F)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Load settings…</source>
        <translation>加载设置(&amp;L)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Connect to a &amp;server…</source>
        <translation>连接到服务器(&amp;S)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use the l&amp;ocal model</source>
        <translation>使用本地模型(&amp;O)</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Local &amp;API server…</source>
        <translation>本地 API 服务(&amp;A)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Tools (MCP servers)…</source>
        <translation>工具（MCP 服务器）(&amp;T)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>S&amp;peed and memory…</source>
        <translation>速度与内存(&amp;P)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Export conversation…</source>
        <translation>导出对话(&amp;E)…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Conversation</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Search</source>
        <translation>搜索(&amp;S)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Rename…</source>
        <translation>重命名(&amp;R)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Attach files…</source>
        <translation>添加附件(&amp;A)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Se&amp;ttings…</source>
        <translation>设置(&amp;T)…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Stop answering</source>
        <translation>停止回答(&amp;P)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>&amp;Bigger text</source>
        <translation>放大文字(&amp;B)</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>&amp;Smaller text</source>
        <translation>缩小文字(&amp;S)</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&amp;Normal text</source>
        <translation>默认文字大小(&amp;N)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;Theme (applies at restart)</source>
        <translation>主题（重启后生效）(&amp;T)</translation>
    </message>
    <message>
        <location line="+1"/>
        <location line="+11"/>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location line="-11"/>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>&amp;Language (applies at restart)</source>
        <translation>语言 Language（重启后生效）(&amp;L)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>&amp;About QwenDesk</source>
        <translation>关于 QwenDesk(&amp;A)</translation>
    </message>
    <message>
        <location line="+81"/>
        <source>No thinking (model)</source>
        <translation>不思考（模型）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Always thinks (model)</source>
        <translation>始终思考（模型）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Thinking on</source>
        <translation>思考：开</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Thinking off</source>
        <translation>思考：关</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Remote: {host}</source>
        <translation>远程：{host}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Turns of this conversation were sent to {host}, outside this computer.</source>
        <translation>此对话的内容曾发送到本机之外的 {host}。</translation>
    </message>
    <message>
        <location line="+43"/>
        <source>Deleted “{title}”.</source>
        <translation>已删除“{title}”。</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>Choose a Qwen3 GGUF</source>
        <translation>选择 Qwen3 GGUF 模型</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Choose a model first: load settings are kept per model.</source>
        <translation>请先选择模型：加载设置按模型分别保存。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>Connected to {host}: answers come from {model} there.</source>
        <translation>已连接到 {host}：回答来自那里的 {model}。</translation>
    </message>
    <message>
        <location line="+35"/>
        <source>Attach documents</source>
        <translation>添加文档</translation>
    </message>
    <message numerus="yes">
        <location line="+36"/>
        <source>%n answer(s) were interrupted when QwenDesk last stopped; what had been written is kept.</source>
        <translation>
            <numerusform>QwenDesk 上次退出时有 %n 条回答被中断；已生成的内容都已保留。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+10"/>
        <source>The language changes when QwenDesk is restarted.</source>
        <translation>重启 QwenDesk 后将切换语言。</translation>
    </message>
    <message>
        <location filename="../window_export.py" line="+20"/>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Markdown (*.md);;JSON (*.json)</source>
        <translation>Markdown 文件 (*.md);;JSON 文件 (*.json)</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Exported to {path}</source>
        <translation>已导出到 {path}</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <location filename="../message_widget.py" line="+51"/>
        <source>Interrupted: the app stopped while this answer was being written.</source>
        <translation>已中断：生成此回答时应用停止了运行。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>{model} @ {host} (remote)</source>
        <translation>{model} @ {host}（远程）</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <location line="+85"/>
        <source>Retry</source>
        <translation>重试</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Choose another model…</source>
        <translation>选择其他模型…</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <location line="+154"/>
        <source>The answer reached the length limit.</source>
        <translation>回答已达到长度上限。</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Something went wrong.</source>
        <translation>出错了。</translation>
    </message>
</context>
<context>
    <name>ModelManager</name>
    <message>
        <location filename="../download_task.py" line="+32"/>
        <source>idle</source>
        <translation>未开始</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{speed}/s</source>
        <translation>{speed}/秒</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{min} min {s} s left</source>
        <translation>剩余 {min} 分 {s} 秒</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>cannot resume if interrupted</source>
        <translation>中断后无法续传</translation>
    </message>
    <message>
        <location filename="../model_manager.py" line="+61"/>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Looking at this machine…</source>
        <translation>正在检测本机配置…</translation>
    </message>
    <message>
        <location line="+5"/>
        <location line="+20"/>
        <location line="+262"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-279"/>
        <location line="+70"/>
        <source>Listing Qwen3 GGUFs on the Hugging Face Hub…</source>
        <translation>正在获取 Hugging Face Hub 上的 Qwen3 GGUF 列表…</translation>
    </message>
    <message>
        <location line="-65"/>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Fit at 16K context</source>
        <translation>16K 上下文下的适配情况</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Use</source>
        <translation>使用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Load settings…</source>
        <translation>加载设置…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Context (YaRN), GPU layers, KV cache, threads for this model</source>
        <translation>此模型的上下文（YaRN）、GPU 层数、KV 缓存和线程数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <location line="+48"/>
        <source>This machine: {machine}</source>
        <translation>本机：{machine}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Could not list the Hub: {error}</source>
        <translation>无法获取 Hub 上的模型列表：{error}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The Hugging Face Hub could not be reached, so quantizations are not listed; downloaded and imported models work offline, and Import GGUF… adds a GGUF you already have.</source>
        <translation>无法连接 Hugging Face Hub，因此未列出量化版本；已下载和已导入的模型可离线使用，“导入 GGUF…”可添加你已有的 GGUF。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Qwen3 GGUFs on the Hub (saved listing: the Hub is unreachable):</source>
        <translation>Hub 上的 Qwen3 GGUF（无法连接 Hub，显示的是已保存的列表）：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Qwen3 GGUFs on the Hub:</source>
        <translation>Hub 上的 Qwen3 GGUF：</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Download failed</source>
        <translation>下载失败</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>Qwen3-2507 · newer generation: one mode each, 262K context</source>
        <translation>Qwen3-2507 · 较新一代：每个模型只有一种模式，262K 上下文</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Qwen3 · the eight original sizes: thinking on or off</source>
        <translation>Qwen3 · 最初的八种规模：思考可开可关</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Estimated for {quant} from the parameter count</source>
        <translation>根据参数量估算的 {quant} 大小</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>not listed</source>
        <translation>未列出</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>estimate</source>
        <translation>估算</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>On this machine</source>
        <translation>本机已有</translation>
    </message>
    <message>
        <location line="+7"/>
        <location line="+87"/>
        <source>downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <location line="-87"/>
        <source>imported</source>
        <translation>已导入</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>on or off</source>
        <translation>可开可关</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>no thinking</source>
        <translation>不思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>always thinks</source>
        <translation>始终思考</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Qwen3-2507: the newer generation</source>
        <translation>Qwen3-2507：较新一代</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>The Think switch turns thinking on or off</source>
        <translation>用“思考”开关打开或关闭思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>An Instruct model: answers directly, never thinks</source>
        <translation>Instruct 模型：直接回答，从不思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A Thinking model: always reasons before answering</source>
        <translation>Thinking 模型：总是先推理再回答</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>{native} tokens natively, up to {max} with YaRN</source>
        <translation>原生 {native} token，启用 YaRN 最多 {max}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>{native} tokens</source>
        <translation>{native} token</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>fits on the GPU</source>
        <translation>可完全放入 GPU</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{on_gpu}/{layers} layers on GPU</source>
        <translation>GPU 上 {on_gpu}/{layers} 层</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>fits (CPU)</source>
        <translation>可运行（CPU）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>tight: close other apps</source>
        <translation>偏紧：请关闭其他应用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will not fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>needs {size}</source>
        <translation>需要 {size}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>partly downloaded</source>
        <translation>部分已下载</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>No Qwen3 model on offer fits this machine comfortably.</source>
        <translation>没有能在本机流畅运行的 Qwen3 模型。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Recommended for this machine: &lt;b&gt;{model} {quant}&lt;/b&gt; ({size})</source>
        <translation>本机推荐：&lt;b&gt;{model} {quant}&lt;/b&gt;（{size}）</translation>
    </message>
    <message>
        <location line="+19"/>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>Cannot download</source>
        <translation>无法下载</translation>
    </message>
    <message>
        <location line="+44"/>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Delete {name} ({size})?</source>
        <translation>删除 {name}（{size}）？</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Deleted</source>
        <translation>已删除</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>{size} freed.</source>
        <translation>已释放 {size}。</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Import a GGUF</source>
        <translation>导入 GGUF</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Cannot import</source>
        <translation>无法导入</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Imported</source>
        <translation>已导入</translation>
    </message>
</context>
<context>
    <name>PassageDialog</name>
    <message>
        <location filename="../sources_view.py" line="+72"/>
        <source>{citation} · characters {start}–{end}</source>
        <translation>{citation} · 第 {start}–{end} 个字符</translation>
    </message>
</context>
<context>
    <name>PasteDialog</name>
    <message>
        <location filename="../tools_server_form.py" line="+207"/>
        <source>Paste tool servers</source>
        <translation>粘贴工具服务器</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Paste the “mcpServers” JSON from Claude Desktop, Cursor or LM Studio, or one server&apos;s entry. Pasted servers are added switched off.</source>
        <translation>粘贴来自 Claude Desktop、Cursor 或 LM Studio 的“mcpServers” JSON，或单个服务器的条目。粘贴的服务器添加后处于关闭状态。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>only needed for a single server&apos;s entry</source>
        <translation>仅在粘贴单个服务器的条目时需要</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Add</source>
        <translation>添加</translation>
    </message>
</context>
<context>
    <name>PromptReading</name>
    <message>
        <location filename="../prompt_reading.py" line="+26"/>
        <source>Reading the documents… {done} / {total} tokens</source>
        <translation>正在读取文档… {done} / {total} 个 token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reading the document… {done} / {total} tokens</source>
        <translation>正在读取文档… {done} / {total} 个 token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Reading the conversation… {done} / {total} tokens</source>
        <translation>正在读取对话… {done} / {total} 个 token</translation>
    </message>
    <message>
        <location line="+31"/>
        <source>{cached} tokens before these were kept from earlier: not read again.</source>
        <translation>在此之前的 {cached} 个 token 已保留自先前的读取：无需重新读取。</translation>
    </message>
</context>
<context>
    <name>ReasoningPane</name>
    <message>
        <location filename="../reasoning_pane.py" line="+155"/>
        <source>Thinking… {seconds} s</source>
        <translation>思考中… {seconds} 秒</translation>
    </message>
    <message>
        <location line="+26"/>
        <source>Thought for {seconds} s</source>
        <translation>已思考 {seconds} 秒</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Thought</source>
        <translation>已思考</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{tokens} tokens</source>
        <translation>{tokens} 个 token</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>thinking budget reached</source>
        <translation>已达思考预算</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stopped while thinking</source>
        <translation>思考时被停止</translation>
    </message>
</context>
<context>
    <name>RemoteDialog</name>
    <message>
        <location filename="../remote_dialog.py" line="+82"/>
        <source>Connect to a server</source>
        <translation>连接到服务器</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>New server</source>
        <translation>新服务器</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Other OpenAI-compatible server</source>
        <translation>其他兼容 OpenAI 的服务器</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>e.g. GPU cluster</source>
        <translation>例如：GPU 集群</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>optional</source>
        <translation>可选</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Keep the key in the system keyring</source>
        <translation>将密钥保存在系统钥匙串中</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>List models</source>
        <translation>列出模型</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Saved:</source>
        <translation>已保存：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Server:</source>
        <translation>服务器：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Your messages, and the text of documents you attach, are sent to this server: they leave this computer. Conversations answered there are marked “remote”.</source>
        <translation>你的消息以及附加文档的文本会发送到此服务器，离开本机。由它回答的对话会标记为“远程”。</translation>
    </message>
    <message>
        <location line="+10"/>
        <source>Tools (MCP): start vLLM with --enable-auto-tool-choice --tool-call-parser hermes, SGLang with --tool-call-parser qwen25, for Qwen3 to call tools there.</source>
        <translation>工具（MCP）：要让 Qwen3 在服务器上调用工具，请用 --enable-auto-tool-choice --tool-call-parser hermes 启动 vLLM，或用 --tool-call-parser qwen25 启动 SGLang。</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Connect</source>
        <translation>连接</translation>
    </message>
    <message>
        <location line="+70"/>
        <source>Asking {host} for its models…</source>
        <translation>正在向 {host} 查询模型…</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>The server lists no models.</source>
        <translation>该服务器没有列出任何模型。</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n model(s) on this server.</source>
        <translation>
            <numerusform>此服务器上有 %n 个模型。</numerusform>
        </translation>
    </message>
    <message>
        <location line="+21"/>
        <source>The key is used for this session only: {why}</source>
        <translation>密钥只在本次运行期间使用：{why}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>The server could not be saved: {why}</source>
        <translation>无法保存该服务器：{why}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Connecting to {host}…</source>
        <translation>正在连接 {host}…</translation>
    </message>
</context>
<context>
    <name>ServerForm</name>
    <message>
        <location filename="../tools_server_form.py" line="-120"/>
        <source>Edit tool server</source>
        <translation>编辑工具服务器</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>Add a tool server</source>
        <translation>添加工具服务器</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>e.g. files</source>
        <translation>例如：files</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>A program on this computer (stdio)</source>
        <translation>本机上的程序（stdio）</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>A URL (streamable HTTP)</source>
        <translation>URL（Streamable HTTP）</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>e.g. npx or /usr/bin/python3</source>
        <translation>例如：npx 或 /usr/bin/python3</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>One argument per line</source>
        <translation>每行一个参数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>KEY=VALUE, one per line</source>
        <translation>KEY=VALUE，每行一个</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Name: value, one per line (e.g. Authorization: Bearer …)</source>
        <translation>名称: 值，每行一个（例如 Authorization: Bearer …）</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Command:</source>
        <translation>命令：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Arguments:</source>
        <translation>参数：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Environment:</source>
        <translation>环境变量：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>URL:</source>
        <translation>URL：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Headers:</source>
        <translation>请求头：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Header values are kept in the system keyring, not in mcp.json.</source>
        <translation>请求头的值保存在系统钥匙串中，不写入 mcp.json。</translation>
    </message>
    <message>
        <location line="+9"/>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Kind:</source>
        <translation>类型：</translation>
    </message>
</context>
<context>
    <name>ServerRow</name>
    <message>
        <location line="+118"/>
        <source>Enabled: start this server and offer its tools to the model</source>
        <translation>启用：启动此服务器，并把它的工具提供给模型</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Trusted: run its tools without asking</source>
        <translation>信任：直接运行它的工具，不再询问</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Edit…</source>
        <translation>编辑…</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location line="+34"/>
        <source>No longer trusted: its command or URL changed. Tick Trusted again if you trust it.</source>
        <translation>已不再信任：它的命令或 URL 已更改。如果你信任它，请重新勾选“信任”。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Its tools run without asking you first, with your permissions.</source>
        <translation>它的工具会以你的权限运行，且不会事先询问你。</translation>
    </message>
    <message numerus="yes">
        <location line="+8"/>
        <source>ready · %n tool(s)</source>
        <translation>
            <numerusform>就绪 · %n 个工具</numerusform>
        </translation>
    </message>
    <message>
        <location line="+2"/>
        <source>starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>failed: {reason}</source>
        <translation>失败：{reason}</translation>
    </message>
    <message>
        <location line="+0"/>
        <source>unknown reason</source>
        <translation>原因未知</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
</context>
<context>
    <name>SourcesLabel</name>
    <message>
        <location filename="../sources_view.py" line="-26"/>
        <source>+{n} more</source>
        <translation>另有 {n} 项</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Sources:</source>
        <translation>来源：</translation>
    </message>
</context>
<context>
    <name>SpeedDialog</name>
    <message>
        <location filename="../speed_dialog.py" line="+69"/>
        <source>Speed and memory</source>
        <translation>速度与内存</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>What the model has read of a conversation is kept, so your next message there is answered without reading the whole conversation again, also after a restart.</source>
        <translation>模型读过的对话内容会被保留，因此你在该对话中的下一条消息无需重新读取整个对话即可得到回答，重启后也是如此。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Keep each conversation&apos;s reading on disk, so coming back to it is fast</source>
        <translation>将每个对话的读取结果保存在磁盘上，再次打开时可以快速继续</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <location line="+1"/>
        <source> GiB</source>
        <translation> GiB</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Automatic: up to 8 GiB, and never more than a tenth of the free space.</source>
        <translation>自动：最多 8 GiB，且不超过可用空间的十分之一。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source> MiB</source>
        <translation> MiB</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>Delete kept readings</source>
        <translation>删除保留的读取结果</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Disk space for them:</source>
        <translation>可用磁盘空间：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Memory for recent ones:</source>
        <translation>最近对话可用内存：</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>On disk now:</source>
        <translation>当前磁盘占用：</translation>
    </message>
    <message>
        <location line="+5"/>
        <source> s</source>
        <translation> 秒</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Read whole documents when that takes under</source>
        <translation>读取完整文档，若所需时间少于</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Longer, and the answer uses the most relevant passages, with a button to read them whole instead.</source>
        <translation>若需更长时间，回答将使用最相关的段落，并提供一个按钮改为读取完整文档。</translation>
    </message>
    <message>
        <location line="+37"/>
        <source>nothing kept</source>
        <translation>无保留内容</translation>
    </message>
    <message numerus="yes">
        <location line="+2"/>
        <source>%n conversation(s), {size}</source>
        <translation>
            <numerusform>%n 个对话，{size}</numerusform>
        </translation>
    </message>
    <message>
        <location line="+13"/>
        <source>Only {free} is free on that disk: choose less, or Automatic.</source>
        <translation>该磁盘只剩 {free} 可用空间：请选择更小的值，或选择“自动”。</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>This computer has {ram} of memory: keep at most half of it for readings ({most} MiB).</source>
        <translation>这台电脑共有 {ram} 内存：用于保留读取结果的最多只能是其一半（{most} MiB）。</translation>
    </message>
</context>
<context>
    <name>ToolApprovalDialog</name>
    <message>
        <location filename="../tool_approval.py" line="+48"/>
        <source>Allow a tool call?</source>
        <translation>允许调用工具？</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The model wants to use &lt;b&gt;{tool}&lt;/b&gt; from the MCP server &lt;b&gt;{server}&lt;/b&gt;.</source>
        <translation>模型想要使用 MCP 服务器 &lt;b&gt;{server}&lt;/b&gt; 提供的工具 &lt;b&gt;{tool}&lt;/b&gt;。</translation>
    </message>
    <message>
        <location line="+15"/>
        <source>Deny</source>
        <translation>拒绝</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Always allow this tool in this conversation</source>
        <translation>在此对话中始终允许此工具</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Allow once</source>
        <translation>允许一次</translation>
    </message>
    <message>
        <location line="+11"/>
        <source>Arguments:</source>
        <translation>参数：</translation>
    </message>
</context>
<context>
    <name>ToolCardWidget</name>
    <message>
        <location filename="../tool_card.py" line="+23"/>
        <source>waiting for approval</source>
        <translation>等待批准</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>running… {seconds} s</source>
        <translation>运行中… {seconds} 秒</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>done</source>
        <translation>已完成</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>denied</source>
        <translation>已拒绝</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>{tool} from {server}</source>
        <translation>{tool}（来自 {server}）</translation>
    </message>
    <message>
        <location line="+23"/>
        <source>Arguments</source>
        <translation>参数</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Result</source>
        <translation>结果</translation>
    </message>
</context>
<context>
    <name>ToolsDialog</name>
    <message>
        <location filename="../tools_dialog.py" line="+63"/>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <location line="+13"/>
        <source>An enabled MCP server runs on this computer (or is reached over the network) with your permissions; QwenDesk asks before each call unless you trust the server.</source>
        <translation>启用的 MCP 服务器会以你的权限在本机运行（或通过网络访问）；除非你信任该服务器，否则 QwenDesk 会在每次调用前询问你。</translation>
    </message>
    <message>
        <location line="+16"/>
        <source>No tool servers yet. Add one, or paste the “mcpServers” JSON from another app.</source>
        <translation>还没有工具服务器。请添加一个，或粘贴来自其他应用的“mcpServers” JSON。</translation>
    </message>
    <message>
        <location line="+8"/>
        <source>Add…</source>
        <translation>添加…</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Paste JSON…</source>
        <translation>粘贴 JSON…</translation>
    </message>
    <message>
        <location line="+126"/>
        <source>Remove tool server</source>
        <translation>移除工具服务器</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Remove “{name}” from mcp.json? It is stopped first.</source>
        <translation>从 mcp.json 中移除“{name}”？移除前会先将其停止。</translation>
    </message>
    <message>
        <location line="+33"/>
        <source>The header values could not be kept in the system keyring: {why}</source>
        <translation>无法将请求头的值保存在系统钥匙串中：{why}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>A server named “{name}” already exists.</source>
        <translation>已存在名为“{name}”的服务器。</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>A server named “{name}” already exists: remove it first, or paste it under another name.</source>
        <translation>已存在名为“{name}”的服务器：请先移除它，或换个名称粘贴。</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <location filename="../welcome.py" line="+68"/>
        <source>Welcome to QwenDesk</source>
        <translation>欢迎使用 QwenDesk</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Chat with Qwen3 on this computer, privately. First, a model:</source>
        <translation>在本机与 Qwen3 私密对话。首先，选择一个模型：</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Looking at this machine…</source>
        <translation>正在检测本机配置…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>This machine</source>
        <translation>本机</translation>
    </message>
    <message>
        <location line="+9"/>
        <location line="+129"/>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <location line="-123"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location line="+18"/>
        <source>Open a GGUF…</source>
        <translation>打开 GGUF 文件…</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Connect to a server…</source>
        <translation>连接到服务器…</translation>
    </message>
    <message>
        <location line="+27"/>
        <source>Once a model is loaded, try:</source>
        <translation>加载模型后，可以试试：</translation>
    </message>
    <message>
        <location line="+21"/>
        <source>Explain how a hash map works</source>
        <translation>解释哈希表的工作原理</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Write a Python function to parse a CSV</source>
        <translation>写一个解析 CSV 的 Python 函数</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Summarize a document I attach</source>
        <translation>总结我附加的文档</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>Think it through: how many r&apos;s are in “strawberry”?</source>
        <translation>仔细想一想：“strawberry”里有几个字母 r？</translation>
    </message>
    <message>
        <location line="+52"/>
        <source>Resume download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>Download asks the Hugging Face Hub for this file; nothing else leaves this computer.</source>
        <translation>下载时只向 Hugging Face Hub 请求此文件，不会有其他数据离开本机。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>The Hugging Face Hub cannot be reached, and downloading a model needs the network. A GGUF file you already have works offline: Open a GGUF… loads it.</source>
        <translation>无法连接 Hugging Face Hub，而下载模型需要网络。你已有的 GGUF 文件可离线使用：用“打开 GGUF 文件…”加载即可。</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Could not list the models on the Hub: {error}</source>
        <translation>无法获取 Hub 上的模型列表：{error}</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>No Qwen3 on offer fits this machine comfortably. Open a GGUF… or Connect to a server… still work.</source>
        <translation>没有能在本机流畅运行的 Qwen3 模型。仍可使用“打开 GGUF 文件…”或“连接到服务器…”。</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>Finding the right Qwen3 for this machine…</source>
        <translation>正在为本机寻找合适的 Qwen3…</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>&lt;b&gt;{name}&lt;/b&gt; is on this machine</source>
        <translation>本机已有 &lt;b&gt;{name}&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{size}, downloaded</source>
        <translation>{size}，已下载</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>{size}, imported</source>
        <translation>{size}，已导入</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>Load {name}</source>
        <translation>加载 {name}</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Recommended for this machine: &lt;b&gt;{model}&lt;/b&gt;</source>
        <translation>本机推荐：&lt;b&gt;{model}&lt;/b&gt;</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>No recommendation</source>
        <translation>暂无推荐</translation>
    </message>
    <message>
        <location line="+14"/>
        <source>Asking the Hugging Face Hub…</source>
        <translation>正在查询 Hugging Face Hub…</translation>
    </message>
    <message>
        <location line="+17"/>
        <source>Starting…</source>
        <translation>正在开始…</translation>
    </message>
    <message>
        <location line="+28"/>
        <source>Download failed: {error}</source>
        <translation>下载失败：{error}</translation>
    </message>
    <message>
        <location filename="../welcome_text.py" line="+22"/>
        <source>RAM {free} free of {total}</source>
        <translation>内存可用 {free}（共 {total}）</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>, {free} free</source>
        <translation>，可用 {free}</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>llama.cpp: CPU only</source>
        <translation>llama.cpp：仅 CPU</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>llama.cpp: backend unknown</source>
        <translation>llama.cpp：后端未知</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>{free} free for models</source>
        <translation>模型存储空间可用 {free}</translation>
    </message>
    <message>
        <location line="+12"/>
        <source>{quant}, about {size}</source>
        <translation>{quant}，约 {size}</translation>
    </message>
    <message>
        <location line="+4"/>
        <source>{quant}, {size} download</source>
        <translation>{quant}，需下载 {size}</translation>
    </message>
    <message>
        <location line="+7"/>
        <source>runs on the GPU</source>
        <translation>在 GPU 上运行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>{on_gpu} of {layers} layers on the GPU</source>
        <translation>GPU 上 {on_gpu}/{layers} 层</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>runs on the CPU</source>
        <translation>在 CPU 上运行</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>tight: close other apps</source>
        <translation>偏紧：请关闭其他应用</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>will not fit</source>
        <translation>内存不足</translation>
    </message>
    <message>
        <location line="+2"/>
        <source>needs {size}</source>
        <translation>需要 {size}</translation>
    </message>
    <message>
        <location line="+5"/>
        <source>thinks when Think is on</source>
        <translation>开启“思考”时会思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>answers directly, never thinks</source>
        <translation>直接回答，从不思考</translation>
    </message>
    <message>
        <location line="+1"/>
        <source>always thinks before answering</source>
        <translation>总是先思考再回答</translation>
    </message>
</context>
<context>
    <name>_InlineEditor</name>
    <message>
        <location filename="../message_widget.py" line="+96"/>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <location line="+3"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>_VersionSwitcher</name>
    <message>
        <location line="-37"/>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <location line="+6"/>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
</context>
</TS>
