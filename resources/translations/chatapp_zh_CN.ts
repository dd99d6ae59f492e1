<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>About</name>
    <message>
        <source>GPU offload supported</source>
        <translation>支持 GPU 加速</translation>
    </message>
    <message>
        <source>no GPU offload in this build</source>
        <translation>此版本不支持 GPU 加速</translation>
    </message>
    <message>
        <source>{version} (bundled)</source>
        <translation>{version}（内置）</translation>
    </message>
    <message>
        <source>&lt;h3&gt;chatapp {version}&lt;/h3&gt;&lt;p&gt;Chat with language models on your own computer, offline. Models run with llama.cpp; conversations stay on this machine.&lt;/p&gt;&lt;p&gt;llama.cpp: {backend} ({offload})&lt;br&gt;Qt {qt}, Python {python}&lt;br&gt;Conversations: {data}&lt;/p&gt;&lt;p&gt;No telemetry: chatapp connects to the internet only to search for or download the models you ask for.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;chatapp {version}&lt;/h3&gt;&lt;p&gt;在自己的电脑上离线与语言模型对话。模型由 llama.cpp 运行，对话只保存在本机。&lt;/p&gt;&lt;p&gt;llama.cpp：{backend}（{offload}）&lt;br&gt;Qt {qt}，Python {python}&lt;br&gt;对话保存在：{data}&lt;/p&gt;&lt;p&gt;不收集任何使用数据：chatapp 只在你搜索或下载模型时才会联网。&lt;/p&gt;</translation>
    </message>
</context>
<context>
    <name>ApiServer</name>
    <message>
        <source>Local API server</source>
        <translation>本地 API 服务</translation>
    </message>
    <message>
        <source>Other programs on this computer can use the model loaded here through an OpenAI-compatible API. It listens on 127.0.0.1 only and needs the key below.</source>
        <translation>本机上的其他程序可以通过兼容 OpenAI 的 API 使用这里加载的模型。服务只监听 127.0.0.1，并且需要下面的密钥。</translation>
    </message>
    <message>
        <source>&amp;Serve the loaded model</source>
        <translation>提供已加载的模型(&amp;S)</translation>
    </message>
    <message>
        <source>Serve the loaded model</source>
        <translation>提供已加载的模型</translation>
    </message>
    <message>
        <source>Let other programs on this computer chat with the loaded model, OpenAI-style</source>
        <translation>让这台电脑上的其他程序以 OpenAI 兼容的方式与已加载的模型对话</translation>
    </message>
    <message>
        <source>Save API c&amp;onversations in the history</source>
        <translation>把 API 对话保存到历史记录(&amp;O)</translation>
    </message>
    <message>
        <source>Save API conversations in the history</source>
        <translation>把 API 对话保存到历史记录</translation>
    </message>
    <message>
        <source>Each request and its reply become a conversation (from the next start)</source>
        <translation>每个请求及其回复都会保存为一个对话（下次启动起生效）</translation>
    </message>
    <message>
        <source>Port</source>
        <translation>端口</translation>
    </message>
    <message>
        <source>The port the server listens on, on this computer only</source>
        <translation>服务器监听的端口（仅限这台电脑）</translation>
    </message>
    <message>
        <source>&amp;Port:</source>
        <translation>端口(&amp;P)：</translation>
    </message>
    <message>
        <source>&amp;Address:</source>
        <translation>地址(&amp;A)：</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>The address other programs send their requests to</source>
        <translation>其他程序发送请求的地址</translation>
    </message>
    <message>
        <source>&amp;Key:</source>
        <translation>密钥(&amp;K)：</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>The key other programs must send with each request</source>
        <translation>其他程序每次请求都必须附带的密钥</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy: {what}</source>
        <translation>复制：{what}</translation>
    </message>
    <message>
        <source>Copy it to the clipboard</source>
        <translation>复制到剪贴板</translation>
    </message>
    <message>
        <source>Serving. The key is {where}.</source>
        <translation>服务运行中。密钥{where}。</translation>
    </message>
    <message>
        <source>kept in the system keyring</source>
        <translation>保存在系统钥匙串中</translation>
    </message>
    <message>
        <source>Not serving.</source>
        <translation>服务未运行。</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>The server could not start: {error}</source>
        <translation>服务无法启动：{error}</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>chatapp cannot start</source>
        <translation>chatapp 无法启动</translation>
    </message>
</context>
<context>
    <name>Banner</name>
    <message>
        <source>Notice</source>
        <translation>提示</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Dismiss the notice</source>
        <translation>关闭提示</translation>
    </message>
    <message>
        <source>Dismiss the error</source>
        <translation>关闭错误</translation>
    </message>
    <message>
        <source>Hide this notice</source>
        <translation>隐藏这条提示</translation>
    </message>
    <message>
        <source>Hide this error message</source>
        <translation>隐藏这条错误信息</translation>
    </message>
    <message>
        <source>What to do about the notice</source>
        <translation>处理这条提示</translation>
    </message>
    <message>
        <source>What to do about the error</source>
        <translation>处理这个错误</translation>
    </message>
    <message>
        <source>Do what the notice suggests</source>
        <translation>执行提示中建议的操作</translation>
    </message>
    <message>
        <source>Do what the error message suggests</source>
        <translation>执行错误信息中建议的操作</translation>
    </message>
</context>
<context>
    <name>Catalogue</name>
    <message>
        <source>Google's tiny model; quick answers on any machine.</source>
        <translation>Google 的微型模型；在任何电脑上都能快速回答。</translation>
    </message>
    <message>
        <source>Meta's small model; a good everyday assistant on laptops.</source>
        <translation>Meta 的小型模型；笔记本电脑上好用的日常助手。</translation>
    </message>
    <message>
        <source>A strong all-rounder for its size; it answers at once.</source>
        <translation>同等规模中很全面的模型；直接给出回答。</translation>
    </message>
    <message>
        <source>Google's compact model; writes well in many languages.</source>
        <translation>Google 的紧凑型模型；擅长用多种语言写作。</translation>
    </message>
    <message>
        <source>Thinks before it answers; the thinking can be turned off.</source>
        <translation>先思考再回答；思考可以关闭。</translation>
    </message>
    <message>
        <source>Writes, explains and fixes code; wants 8 GB or a GPU.</source>
        <translation>编写、解释和修复代码；需要 8 GB 内存或一块 GPU。</translation>
    </message>
    <message>
        <source>Finds the passages of your documents that answer a question.</source>
        <translation>在你的文档中找出能回答问题的段落。</translation>
    </message>
    <message>
        <source>Chat</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Reasoning</source>
        <translation>推理</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>For documents</source>
        <translation>用于文档</translation>
    </message>
    <message>
        <source>A chat model: answers at once</source>
        <translation>对话模型：直接给出回答</translation>
    </message>
    <message>
        <source>A reasoning model: it thinks step by step before it answers</source>
        <translation>推理模型：先逐步思考，再给出回答</translation>
    </message>
    <message>
        <source>A code model: tuned for writing, explaining and fixing code</source>
        <translation>代码模型：专为编写、解释和修复代码而调优</translation>
    </message>
    <message>
        <source>An embedding model, for searching your documents: it turns text into vectors and cannot chat</source>
        <translation>嵌入模型，用于搜索你的文档：它把文本转换为向量，不能对话</translation>
    </message>
    <message>
        <source>fits on GPU</source>
        <translation>可完全放入 GPU</translation>
    </message>
    <message>
        <source>partly on GPU</source>
        <translation>部分在 GPU 上</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>too large</source>
        <translation>太大</translation>
    </message>
    <message>
        <source>partly on GPU ({layers} of {total} layers)</source>
        <translation>部分在 GPU 上（{total} 层中的 {layers} 层）</translation>
    </message>
</context>
<context>
    <name>ChatPanel</name>
    <message>
        <source>Conversation details</source>
        <translation>对话详情</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send the message to the model (Enter); Shift+Enter starts a new line</source>
        <translation>把消息发送给模型（Enter）；Shift+Enter 换行</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the reply</source>
        <translation>停止回复</translation>
    </message>
    <message>
        <source>Stop the model writing this reply (Esc)</source>
        <translation>让模型停止生成这条回复（Esc）</translation>
    </message>
    <message>
        <source>Editing a message</source>
        <translation>正在编辑消息</translation>
    </message>
    <message>
        <source>Some of this conversation's saved settings cannot be used, so the defaults are used for them: {refused}. Choose new ones with “change” above the conversation.</source>
        <translation>此对话保存的部分设置无法使用，已改用默认值：{refused}。可点击对话上方的“更改”重新选择。</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message numerus="yes">
        <source>%n example(s) · </source>
        <translation>
            <numerusform>%n 个示例 · </numerusform>
        </translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message numerus="yes">
        <source>System prompt: {prompt} · {examples}temperature {temperature} · max %Ln token(s) (&lt;a href='edit'&gt;change&lt;/a&gt;)</source>
        <translation>
            <numerusform>系统提示词：{prompt} · {examples}温度 {temperature} · 最多 %Ln 个 token（&lt;a href='edit'&gt;更改&lt;/a&gt;）</numerusform>
        </translation>
    </message>
    <message>
        <source>Start a conversation first: new chats use the default system prompt and settings from Preferences (Ctrl+,).</source>
        <translation>请先开始一个对话：新对话使用首选项（Ctrl+,）中的默认系统提示词和设置。</translation>
    </message>
    <message>
        <source>A reply is still streaming: stop it (Esc) or wait for it to finish.</source>
        <translation>回复仍在生成：请停止它（Esc）或等待完成。</translation>
    </message>
    <message>
        <source>No model is loaded: open a GGUF model file first (File → Open model).</source>
        <translation>尚未加载模型：请先打开一个 GGUF 模型文件（文件 → 打开模型）。</translation>
    </message>
    <message numerus="yes">
        <source>reading the prompt: {done} of %Ln token(s)…</source>
        <translation>
            <numerusform>正在读取提示词：%Ln 个 token 中的 {done} 个…</numerusform>
        </translation>
    </message>
    <message>
        <source> · {speed} tok/s</source>
        <translation> · {speed} token/秒</translation>
    </message>
    <message numerus="yes">
        <source>generating… %Ln token(s)</source>
        <translation>
            <numerusform>正在生成… %Ln 个 token</numerusform>
        </translation>
    </message>
    <message>
        <source>Reply finished: {start}</source>
        <translation>回复已完成：{start}</translation>
    </message>
    <message>
        <source>Saving the reply waits: {reason}. It goes on, and is saved once the lock is released.</source>
        <translation>回复暂时无法保存：{reason}。生成会继续，锁释放后即会保存。</translation>
    </message>
    <message>
        <source>The reply failed: {error}</source>
        <translation>回复失败：{error}</translation>
    </message>
    <message>
        <source>No model is loaded: open a GGUF model file first.</source>
        <translation>尚未加载模型：请先打开一个 GGUF 模型文件。</translation>
    </message>
    <message>
        <source>Ask something first: Compare answers the last question twice.</source>
        <translation>请先提一个问题：“比较”会对最后一个问题回答两次。</translation>
    </message>
    <message>
        <source>A reply is still streaming: stop it first.</source>
        <translation>回复仍在生成：请先停止它。</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>当前模型</translation>
    </message>
    <message>
        <source>The prompt cannot be used: {error}</source>
        <translation>无法使用该提示词：{error}</translation>
    </message>
    <message>
        <source>A reply is streaming: stop it (Esc) before deleting messages.</source>
        <translation>回复正在生成：删除消息前请先停止它（Esc）。</translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n message(s).</source>
        <translation>
            <numerusform>已删除 %n 条消息。</numerusform>
        </translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Searching {names}…</source>
        <translation>正在搜索 {names}…</translation>
    </message>
    <message numerus="yes">
        <source>The conversation no longer fits the context: the model is summarising the earlier %n message(s) first (its conversation settings say so)…</source>
        <translation>
            <numerusform>对话已超出上下文：模型正在先总结前面的 %n 条消息（按此对话的设置）…</numerusform>
        </translation>
    </message>
    <message>
        <source>the documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Nothing in {names} matched: answered without them</source>
        <translation>{names} 中没有匹配的内容：回答未使用文档</translation>
    </message>
    <message>
        <source>Documents: {error}</source>
        <translation>文档：{error}</translation>
    </message>
    <message numerus="yes">
        <source>{collection}: %n file(s) skipped, e.g. {name}: {reason} (Settings → Documents… lists them all)</source>
        <translation>
            <numerusform>{collection}：跳过了 %n 个文件，例如 {name}：{reason}（设置 → 文档… 中列出了全部）</numerusform>
        </translation>
    </message>
    <message>
        <source>{path} cannot be opened: documents are not available</source>
        <translation>无法打开 {path}：文档功能不可用</translation>
    </message>
    <message>
        <source>The source cannot be opened: {error}</source>
        <translation>无法打开来源：{error}</translation>
    </message>
    <message>
        <source>Your message</source>
        <translation>你的消息</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>回复</translation>
    </message>
    <message>
        <source>Save the whole message</source>
        <translation>保存完整消息</translation>
    </message>
    <message>
        <source>Text files (*.txt);;All files (*)</source>
        <translation>文本文件 (*.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not save the message: {error}</source>
        <translation>无法保存消息：{error}</translation>
    </message>
    <message>
        <source>This message is too long to edit here ({size}): save it to a file, shorten it there, and send the part that matters.</source>
        <translation>这条消息太长，无法在此编辑（{size}）：请保存为文件，在文件中删减后再发送需要的部分。</translation>
    </message>
    <message>
        <source>Editing your message: sending it starts a new branch from here. Esc or an empty box cancels.</source>
        <translation>正在编辑你的消息：发送后会从这里开始一个新分支。按 Esc 或清空输入框即可取消。</translation>
    </message>
</context>
<context>
    <name>CompareDialog</name>
    <message>
        <source>Compare two replies</source>
        <translation>比较两个回复</translation>
    </message>
    <message>
        <source>&lt;b&gt;Question:&lt;/b&gt; {question}</source>
        <translation>&lt;b&gt;问题：&lt;/b&gt;{question}</translation>
    </message>
    <message>
        <source>The model that writes reply B: this one, another, or a server's</source>
        <translation>生成回复 B 的模型：当前模型、另一个模型或服务器上的模型</translation>
    </message>
    <message>
        <source>B's temperature</source>
        <translation>B 的温度</translation>
    </message>
    <message>
        <source>How freely reply B is written: higher is more varied</source>
        <translation>回复 B 的随机程度：越高越多样</translation>
    </message>
    <message>
        <source>B's top-p</source>
        <translation>B 的 top-p</translation>
    </message>
    <message>
        <source>Reply B picks among the likeliest words that add up to this share</source>
        <translation>回复 B 只从累计概率达到此比例的最可能词中选择</translation>
    </message>
    <message>
        <source>B's seed</source>
        <translation>B 的种子</translation>
    </message>
    <message>
        <source>The same seed gives the same reply B; -1 picks a new one each time</source>
        <translation>相同的种子会得到相同的回复 B；-1 表示每次随机选取</translation>
    </message>
    <message>
        <source>seed (-1: random)</source>
        <translation>种子（-1：随机）</translation>
    </message>
    <message>
        <source>Reply A</source>
        <translation>回复 A</translation>
    </message>
    <message>
        <source>Reply B</source>
        <translation>回复 B</translation>
    </message>
    <message>
        <source>Reply {side} metrics</source>
        <translation>回复 {side} 的指标</translation>
    </message>
    <message>
        <source>Keep {side}</source>
        <translation>保留 {side}</translation>
    </message>
    <message>
        <source>Keep reply {side}</source>
        <translation>保留回复 {side}</translation>
    </message>
    <message>
        <source>Show reply {side} in the conversation; the other stays a version</source>
        <translation>在对话中显示回复 {side}；另一条保留为一个版本</translation>
    </message>
    <message>
        <source>Run both</source>
        <translation>同时运行</translation>
    </message>
    <message>
        <source>Run both replies</source>
        <translation>同时生成两个回复</translation>
    </message>
    <message>
        <source>Answer the last question again as A and as B, to compare them</source>
        <translation>分别以 A 和 B 重新回答最后一个问题，以便比较</translation>
    </message>
    <message>
        <source>One after the other, on this computer.</source>
        <translation>在本机上依次运行。</translation>
    </message>
    <message>
        <source>One after the other, on this computer: B's model is loaded beside this one for the comparison (memory for both), then unloaded.</source>
        <translation>在本机上依次运行：比较期间会在当前模型之外加载 B 的模型（两者都占用内存），结束后卸载。</translation>
    </message>
    <message>
        <source>At the same time: B runs on {server}.</source>
        <translation>同时运行：B 在 {server} 上运行。</translation>
    </message>
    <message>
        <source>waiting…</source>
        <translation>等待中…</translation>
    </message>
    <message>
        <source>not run</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>{model} via {server}</source>
        <translation>{model}，经由 {server}</translation>
    </message>
    <message>
        <source>generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>&lt;b&gt;A&lt;/b&gt;: {model} with this conversation's settings (temperature {temperature}, top-p {top_p}, seed {seed})</source>
        <translation>&lt;b&gt;A&lt;/b&gt;：{model}，使用此对话的设置（温度 {temperature}，top-p {top_p}，种子 {seed}）</translation>
    </message>
    <message>
        <source>this model</source>
        <translation>当前模型</translation>
    </message>
    <message>
        <source>Who answers B</source>
        <translation>由谁回答 B</translation>
    </message>
    <message>
        <source>This model, other settings</source>
        <translation>当前模型，其他设置</translation>
    </message>
    <message>
        <source>How the two replies run</source>
        <translation>两个回复的运行方式</translation>
    </message>
    <message>
        <source>&lt;b&gt;B&lt;/b&gt;: &amp;model</source>
        <translation>&lt;b&gt;B&lt;/b&gt;：模型(&amp;M)</translation>
    </message>
    <message>
        <source>temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>failed: {error}</source>
        <translation>失败：{error}</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>Your message to the model: Enter sends it, Shift+Enter starts a new line</source>
        <translation>发给模型的消息：Enter 发送，Shift+Enter 换行</translation>
    </message>
    <message>
        <source>Message the model — Enter to send, Shift+Enter for a new line</source>
        <translation>给模型发消息 — Enter 发送，Shift+Enter 换行</translation>
    </message>
</context>
<context>
    <name>ConversationSettings</name>
    <message>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <source>Medium</source>
        <translation>中</translation>
    </message>
    <message>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <source>The template's default</source>
        <translation>模板默认</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Settings for “{title}”</source>
        <translation>“{title}”的设置</translation>
    </message>
    <message>
        <source>Thinking</source>
        <translation>思考</translation>
    </message>
    <message>
        <source>On</source>
        <translation>开</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关</translation>
    </message>
    <message>
        <source>Reasoning effort</source>
        <translation>推理强度</translation>
    </message>
    <message>
        <source>T&amp;hinking:</source>
        <translation>思考(&amp;H)：</translation>
    </message>
    <message>
        <source>Reasoning e&amp;ffort:</source>
        <translation>推理强度(&amp;F)：</translation>
    </message>
</context>
<context>
    <name>DocsBar</name>
    <message>
        <source>Indexing {collection} paused</source>
        <translation>{collection} 的索引已暂停</translation>
    </message>
    <message numerus="yes">
        <source>Indexing {collection}: {done} of %n file(s)</source>
        <translation>
            <numerusform>正在索引 {collection}：%n 个文件中的 {done} 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n passage(s)</source>
        <translation>
            <numerusform>，%n 个段落</numerusform>
        </translation>
    </message>
    <message>
        <source>, about {minutes} min left</source>
        <translation>，约剩 {minutes} 分钟</translation>
    </message>
    <message>
        <source>, about {seconds} s left</source>
        <translation>，约剩 {seconds} 秒</translation>
    </message>
    <message>
        <source>Answer from your documents</source>
        <translation>根据你的文档回答</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Choose the document collections this chat answers from</source>
        <translation>选择此对话用来回答的文档集</translation>
    </message>
    <message>
        <source>Documents status</source>
        <translation>文档状态</translation>
    </message>
    <message>
        <source>Stop answering from {name}</source>
        <translation>不再根据 {name} 回答</translation>
    </message>
    <message>
        <source>{name} (removed)</source>
        <translation>{name}（已移除）</translation>
    </message>
    <message>
        <source>This chat answers from {name}; click to stop</source>
        <translation>此对话根据 {name} 回答；点击即可停止</translation>
    </message>
    <message>
        <source>No collections yet</source>
        <translation>还没有文档集</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source>Manage documents…</source>
        <translation>管理文档…</translation>
    </message>
</context>
<context>
    <name>DocsWorker</name>
    <message>
        <source>{collection}: indexing failed: {error}</source>
        <translation>{collection}：索引失败：{error}</translation>
    </message>
    <message>
        <source>{path} is not there any more</source>
        <translation>{path} 已不存在</translation>
    </message>
</context>
<context>
    <name>DocumentsDialog</name>
    <message>
        <source>Documents (*.txt *.md *.markdown *.rst *.html *.htm *.pdf *.docx *.py *.js *.ts *.c *.h *.cpp *.rs *.go *.java *.json *.csv *.yaml *.yml *.toml);;All files (*)</source>
        <translation>文档 (*.txt *.md *.markdown *.rst *.html *.htm *.pdf *.docx *.py *.js *.ts *.c *.h *.cpp *.rs *.go *.java *.json *.csv *.yaml *.yml *.toml);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>A collection is a set of folders and files a chat can answer from. They are indexed on this computer; folders are watched while chatapp runs.</source>
        <translation>文档集是对话可以用来回答问题的一组文件夹和文件。它们在本机上建立索引；chatapp 运行期间会持续关注文件夹的变化。</translation>
    </message>
    <message>
        <source>Collections</source>
        <translation>文档集</translation>
    </message>
    <message>
        <source>New…</source>
        <translation>新建…</translation>
    </message>
    <message>
        <source>New collection</source>
        <translation>新建文档集</translation>
    </message>
    <message>
        <source>Create a new collection of documents to ask about</source>
        <translation>新建一个可供提问的文档集</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the collection</source>
        <translation>移除文档集</translation>
    </message>
    <message>
        <source>Remove the chosen collection and its index, after asking; your files stay</source>
        <translation>确认后移除所选文档集及其索引；你的文件会保留</translation>
    </message>
    <message>
        <source>Collection name</source>
        <translation>文档集名称</translation>
    </message>
    <message>
        <source>Embedding model</source>
        <translation>嵌入模型</translation>
    </message>
    <message>
        <source>Files and passages</source>
        <translation>文件和段落</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Embedding model:</source>
        <translation>嵌入模型：</translation>
    </message>
    <message>
        <source>Indexed:</source>
        <translation>已索引：</translation>
    </message>
    <message>
        <source>Folders and files</source>
        <translation>文件夹和文件</translation>
    </message>
    <message>
        <source>Folders and files:</source>
        <translation>文件夹和文件：</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a folder to the collection</source>
        <translation>向文档集添加文件夹</translation>
    </message>
    <message>
        <source>Add every document in a folder, and keep watching it</source>
        <translation>添加文件夹中的所有文档，并持续监视该文件夹</translation>
    </message>
    <message>
        <source>Add files…</source>
        <translation>添加文件…</translation>
    </message>
    <message>
        <source>Add files to the collection</source>
        <translation>向文档集添加文件</translation>
    </message>
    <message>
        <source>Add some document files to the chosen collection</source>
        <translation>向所选文档集添加文档文件</translation>
    </message>
    <message>
        <source>Change model…</source>
        <translation>更换模型…</translation>
    </message>
    <message>
        <source>Change the embedding model</source>
        <translation>更换嵌入模型</translation>
    </message>
    <message>
        <source>Choose another embedding model; the collection is indexed again</source>
        <translation>选择另一个嵌入模型；文档集将重新索引</translation>
    </message>
    <message>
        <source>Reindex</source>
        <translation>重新索引</translation>
    </message>
    <message>
        <source>Bring the collection up to date</source>
        <translation>更新文档集</translation>
    </message>
    <message>
        <source>Index again the files that changed, were added or were removed</source>
        <translation>重新索引已更改、新增或删除的文件</translation>
    </message>
    <message>
        <source>Indexing progress</source>
        <translation>索引进度</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Pause indexing</source>
        <translation>暂停索引</translation>
    </message>
    <message>
        <source>Pause reading the documents; press again to resume</source>
        <translation>暂停读取文档；再按一次继续</translation>
    </message>
    <message>
        <source>Indexing status</source>
        <translation>索引状态</translation>
    </message>
    <message>
        <source>Skipped files:</source>
        <translation>跳过的文件：</translation>
    </message>
    <message>
        <source>Files that were skipped</source>
        <translation>被跳过的文件</translation>
    </message>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n 个文件</numerusform>
        </translation>
    </message>
    <message>
        <source> · runs on {device}</source>
        <translation> · 运行于 {device}</translation>
    </message>
    <message numerus="yes">
        <source>, %n passage(s)</source>
        <translation>
            <numerusform>，%n 个段落</numerusform>
        </translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Up to date.</source>
        <translation>已是最新。</translation>
    </message>
    <message>
        <source>Name of the collection:</source>
        <translation>文档集名称：</translation>
    </message>
    <message>
        <source>There is a collection “{name}” already.</source>
        <translation>已经有名为“{name}”的文档集。</translation>
    </message>
    <message>
        <source>Choose an embedding model</source>
        <translation>选择嵌入模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>A folder for {name}</source>
        <translation>为 {name} 选择文件夹</translation>
    </message>
    <message numerus="yes">
        <source>Every file of {name} (%n passage(s)) will be embedded again with {model}. This can take a while; searching it waits until then.</source>
        <translation>
            <numerusform>{name} 的所有文件（%n 个段落）都将用 {model} 重新嵌入。这可能需要一段时间；完成前无法搜索它。</numerusform>
        </translation>
    </message>
    <message>
        <source>Remove {name} from chatapp? Its files stay where they are; only the index of them is deleted.</source>
        <translation>要从 chatapp 中移除 {name} 吗？文件本身保留原处，只删除它们的索引。</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>chatapp export (*.json)</source>
        <translation>chatapp 导出文件 (*.json)</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Web page (*.html)</source>
        <translation>网页 (*.html)</translation>
    </message>
    <message>
        <source>PDF (*.pdf)</source>
        <translation>PDF (*.pdf)</translation>
    </message>
    <message>
        <source> ({summary})</source>
        <translation>（{summary}）</translation>
    </message>
    <message numerus="yes">
        <source>Saved %n conversation(s) to {path}{note}.</source>
        <translation>
            <numerusform>已将 %n 个对话保存到 {path}{note}。</numerusform>
        </translation>
    </message>
    <message>
        <source>Export folder {folder}</source>
        <translation>导出文件夹 {folder}</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Save what can be read</source>
        <translation>保存可读取的内容</translation>
    </message>
    <message>
        <source>Export all conversations</source>
        <translation>导出全部对话</translation>
    </message>
    <message>
        <source>Exports: chatapp, ChatGPT, Claude, Open WebUI, LM Studio (*.json *.zip);;All files (*)</source>
        <translation>导出文件：chatapp、ChatGPT、Claude、Open WebUI、LM Studio (*.json *.zip);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Nothing was imported from {name}: {error}</source>
        <translation>未从 {name} 导入任何内容：{error}</translation>
    </message>
    <message>
        <source>Import conversations</source>
        <translation>导入对话</translation>
    </message>
</context>
<context>
    <name>FirstRun</name>
    <message>
        <source>Everything runs on this computer: nothing you type leaves it, and the only thing chatapp fetches from the internet is the model you choose to download.</source>
        <translation>一切都在本机运行：你输入的内容不会离开这台电脑，chatapp 只会从网上获取你选择下载的模型。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Download size</source>
        <translation>下载大小</translation>
    </message>
    <message>
        <source>On this computer</source>
        <translation>在本机上</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Choose a model to start&lt;/h2&gt;</source>
        <translation>&lt;h2&gt;选择一个模型开始&lt;/h2&gt;</translation>
    </message>
    <message>
        <source>Recommended models</source>
        <translation>推荐模型</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <source>Download {name}</source>
        <translation>下载 {name}</translation>
    </message>
    <message>
        <source>I already have a GGUF file…</source>
        <translation>我已有 GGUF 文件…</translation>
    </message>
    <message>
        <source>Open a model file</source>
        <translation>打开模型文件</translation>
    </message>
    <message>
        <source>Choose a .gguf model file on this computer and load it</source>
        <translation>选择这台电脑上的 .gguf 模型文件并加载</translation>
    </message>
    <message>
        <source>Search more models…</source>
        <translation>搜索更多模型…</translation>
    </message>
    <message>
        <source>Search models on the Hugging Face Hub</source>
        <translation>在 Hugging Face Hub 上搜索模型</translation>
    </message>
    <message>
        <source>Open the Models window to find and download more models</source>
        <translation>打开“模型”窗口，查找并下载更多模型</translation>
    </message>
    <message>
        <source>You can also drop a .gguf file on this window.</source>
        <translation>也可以把 .gguf 文件拖放到此窗口。</translation>
    </message>
    <message>
        <source>Queued…</source>
        <translation>已排队…</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>{fit} · needs {size}</source>
        <translation>{fit} · 需要 {size}</translation>
    </message>
    <message>
        <source>Too large for this computer's memory</source>
        <translation>超出本机内存容量</translation>
    </message>
    <message>
        <source>Getting started</source>
        <translation>入门</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Loading {name}…&lt;/h2&gt;&lt;p&gt;You can start typing already.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;正在加载 {name}…&lt;/h2&gt;&lt;p&gt;现在就可以开始输入。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;h2&gt;{model}&lt;/h2&gt;&lt;p&gt;On the server {server}. Type a message below to start.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;{model}&lt;/h2&gt;&lt;p&gt;位于服务器 {server}。在下方输入消息即可开始。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;h2&gt;{model}&lt;/h2&gt;&lt;p&gt;Type a message below to start.&lt;/p&gt;</source>
        <translation>&lt;h2&gt;{model}&lt;/h2&gt;&lt;p&gt;在下方输入消息即可开始。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>The download could not start: {error}</source>
        <translation>下载无法开始：{error}</translation>
    </message>
    <message>
        <source>Downloaded</source>
        <translation>已下载</translation>
    </message>
    <message>
        <source>Downloading {name} failed: {error}</source>
        <translation>下载 {name} 失败：{error}</translation>
    </message>
    <message>
        <source>Paused</source>
        <translation>已暂停</translation>
    </message>
</context>
<context>
    <name>LibraryTab</name>
    <message>
        <source>Models on this computer</source>
        <translation>本机上的模型</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Context: used / trained</source>
        <translation>上下文：使用 / 训练</translation>
    </message>
    <message>
        <source>Template</source>
        <translation>模板</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>上次使用</translation>
    </message>
    <message>
        <source>No models in your library yet — download one in Discover, or add a GGUF file or a folder of models you already have (Add file…, Add folder…).</source>
        <translation>模型库中还没有模型 — 可在“发现”中下载，或添加你已有的 GGUF 文件或模型文件夹（添加文件…、添加文件夹…）。</translation>
    </message>
    <message>
        <source>Lo&amp;ad</source>
        <translation>加载(&amp;A)</translation>
    </message>
    <message>
        <source>Load the model</source>
        <translation>加载模型</translation>
    </message>
    <message>
        <source>Load the chosen model to chat with it</source>
        <translation>加载所选模型，用它来对话</translation>
    </message>
    <message>
        <source>&amp;Delete…</source>
        <translation>删除(&amp;D)…</translation>
    </message>
    <message>
        <source>Delete the model's files</source>
        <translation>删除模型文件</translation>
    </message>
    <message>
        <source>Delete the chosen model's files from the disk, after asking</source>
        <translation>确认后从磁盘删除所选模型的文件</translation>
    </message>
    <message>
        <source>Show in &amp;folder</source>
        <translation>在文件夹中显示(&amp;F)</translation>
    </message>
    <message>
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message>
        <source>Open the folder that holds the chosen model's file</source>
        <translation>打开所选模型文件所在的文件夹</translation>
    </message>
    <message>
        <source>&amp;Metadata</source>
        <translation>元数据(&amp;M)</translation>
    </message>
    <message>
        <source>Show the GGUF metadata</source>
        <translation>显示 GGUF 元数据</translation>
    </message>
    <message>
        <source>Show everything the chosen file says about itself</source>
        <translation>显示所选文件记录的全部自身信息</translation>
    </message>
    <message>
        <source>Add &amp;file…</source>
        <translation>添加文件(&amp;F)…</translation>
    </message>
    <message>
        <source>Add a GGUF file</source>
        <translation>添加 GGUF 文件</translation>
    </message>
    <message>
        <source>Add a .gguf file from elsewhere on this computer to the library</source>
        <translation>把这台电脑上其他位置的 .gguf 文件添加到模型库</translation>
    </message>
    <message>
        <source>Add f&amp;older…</source>
        <translation>添加文件夹(&amp;O)…</translation>
    </message>
    <message>
        <source>Add a folder of models</source>
        <translation>添加模型文件夹</translation>
    </message>
    <message>
        <source>Add every .gguf file in a folder to the library</source>
        <translation>把文件夹中的所有 .gguf 文件添加到模型库</translation>
    </message>
    <message>
        <source>add {folder}</source>
        <translation>添加 {folder}</translation>
    </message>
    <message>
        <source>Models from other apps found: </source>
        <translation>发现其他应用的模型：</translation>
    </message>
    <message>
        <source>{name} (missing)</source>
        <translation>{name}（缺失）</translation>
    </message>
    <message>
        <source>{name} (unreadable)</source>
        <translation>{name}（无法读取）</translation>
    </message>
    <message>
        <source>● {name} — loaded</source>
        <translation>● {name} — 已加载</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从未</translation>
    </message>
    <message>
        <source>The context it runs with now</source>
        <translation>当前运行使用的上下文</translation>
    </message>
    <message>
        <source>The context it would get (Preferences: context length)</source>
        <translation>加载时将获得的上下文（首选项：上下文长度）</translation>
    </message>
    <message>
        <source> / the context it was trained for</source>
        <translation> / 训练时的上下文</translation>
    </message>
    <message>
        <source>The chat template in effect: {source}</source>
        <translation>正在使用的对话模板：{source}</translation>
    </message>
    <message>
        <source>The chat template it gets: {source}</source>
        <translation>将使用的对话模板：{source}</translation>
    </message>
    <message>
        <source>Choose a model first.</source>
        <translation>请先选择一个模型。</translation>
    </message>
    <message>
        <source>{name} is missing: it was at {path}.</source>
        <translation>{name} 已缺失：原位置为 {path}。</translation>
    </message>
    <message>
        <source>Delete model</source>
        <translation>删除模型</translation>
    </message>
    <message>
        <source>Delete {name} from disk? This frees {size}.</source>
        <translation>要从磁盘删除 {name} 吗？这将释放 {size}。</translation>
    </message>
    <message>
        <source>Deleted {name}: {size} freed.</source>
        <translation>已删除 {name}：释放了 {size}。</translation>
    </message>
    <message>
        <source>Could not read {name}: {error}</source>
        <translation>无法读取 {name}：{error}</translation>
    </message>
    <message>
        <source>Add a GGUF model</source>
        <translation>添加 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>{name}, from the vocabulary</source>
        <translation>{name}，根据词表选择</translation>
    </message>
    <message>
        <source>plain transcript</source>
        <translation>纯文本对话记录</translation>
    </message>
    <message>
        <source>{name}, set by you</source>
        <translation>{name}，由你设置</translation>
    </message>
    <message>
        <source>set by you</source>
        <translation>由你设置</translation>
    </message>
    <message>
        <source>invalid</source>
        <translation>无效</translation>
    </message>
    <message>
        <source>from the file</source>
        <translation>来自文件</translation>
    </message>
</context>
<context>
    <name>Menus</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>新对话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Open model…</source>
        <translation>打开模型(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Models: discover, download, library…</source>
        <translation>模型：发现、下载、模型库(&amp;M)…</translation>
    </message>
    <message>
        <source>&amp;Recent models</source>
        <translation>最近使用的模型(&amp;R)</translation>
    </message>
    <message>
        <source>Make no network requests: use the models on this computer</source>
        <translation>不发出任何网络请求：使用本机上的模型</translation>
    </message>
    <message>
        <source>&amp;Export conversation…</source>
        <translation>导出对话(&amp;E)…</translation>
    </message>
    <message>
        <source>Export &amp;all conversations…</source>
        <translation>导出全部对话(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Import conversations…</source>
        <translation>导入对话(&amp;I)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>搜索(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Rename conversation</source>
        <translation>重命名对话(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Pin / unpin conversation</source>
        <translation>置顶 / 取消置顶对话(&amp;P)</translation>
    </message>
    <message>
        <source>D&amp;uplicate conversation</source>
        <translation>复制对话(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Delete conversation</source>
        <translation>删除对话(&amp;D)</translation>
    </message>
    <message>
        <source>Work o&amp;ffline</source>
        <translation>离线工作(&amp;F)</translation>
    </message>
    <message>
        <source>S&amp;ystem prompt…</source>
        <translation>系统提示词(&amp;Y)…</translation>
    </message>
    <message>
        <source>Prompt &amp;library…</source>
        <translation>提示词库(&amp;L)…</translation>
    </message>
    <message>
        <source>&amp;Versions tree</source>
        <translation>版本树(&amp;V)</translation>
    </message>
    <message>
        <source>S&amp;top reply</source>
        <translation>停止回复(&amp;T)</translation>
    </message>
    <message>
        <source>Re&amp;generate last reply</source>
        <translation>重新生成上一条回复(&amp;G)</translation>
    </message>
    <message>
        <source>C&amp;ompare two replies…</source>
        <translation>比较两个回复(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Edit last message</source>
        <translation>编辑上一条消息(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation>首选项(&amp;P)…</translation>
    </message>
    <message>
        <source>&amp;Documents…</source>
        <translation>文档(&amp;D)…</translation>
    </message>
    <message>
        <source>Local &amp;API server…</source>
        <translation>本地 API 服务(&amp;A)…</translation>
    </message>
    <message>
        <source>&amp;Servers…</source>
        <translation>服务器(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts…</source>
        <translation>键盘快捷键(&amp;K)…</translation>
    </message>
    <message>
        <source>&amp;About chatapp</source>
        <translation>关于 chatapp(&amp;A)</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant · {model}</source>
        <translation>助手 · {model}</translation>
    </message>
    <message>
        <source>model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source> · via {server}</source>
        <translation> · 经由 {server}</translation>
    </message>
    <message>
        <source>from the server {server}</source>
        <translation>来自服务器 {server}</translation>
    </message>
    <message>
        <source>Left out of what the model read for the last reply: the context was full</source>
        <translation>上一条回复时模型没有读到这条消息：上下文已满</translation>
    </message>
    <message>
        <source>Your message</source>
        <translation>你的消息</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>回复</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>上一个版本</translation>
    </message>
    <message>
        <source>Show the previous version of this message and its replies</source>
        <translation>显示这条消息及其回复的上一个版本</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>下一个版本</translation>
    </message>
    <message>
        <source>Show the next version of this message and its replies</source>
        <translation>显示这条消息及其回复的下一个版本</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the whole message</source>
        <translation>复制整条消息</translation>
    </message>
    <message>
        <source>Copy this message's text to the clipboard</source>
        <translation>把这条消息的文本复制到剪贴板</translation>
    </message>
    <message>
        <source>More actions on this message</source>
        <translation>此消息的更多操作</translation>
    </message>
    <message>
        <source>Fork a new chat from here, or delete this message</source>
        <translation>从这里分叉出新对话，或删除这条消息</translation>
    </message>
    <message>
        <source>Fork: a new chat from here</source>
        <translation>分叉：从这里开始新对话</translation>
    </message>
    <message>
        <source>Delete (with the replies below it)</source>
        <translation>删除（连同下方的回复）</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>Edit and resend</source>
        <translation>编辑并重新发送</translation>
    </message>
    <message>
        <source>Change this message and send it again; the old one stays as a version</source>
        <translation>修改这条消息并重新发送；原消息保留为一个版本</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Regenerate this reply</source>
        <translation>重新生成这条回复</translation>
    </message>
    <message>
        <source>Ask the model again for this reply; the current one stays as a version</source>
        <translation>让模型重新生成这条回复；当前回复保留为一个版本</translation>
    </message>
    <message>
        <source>Only the start of this message is shown</source>
        <translation>只显示了这条消息的开头</translation>
    </message>
    <message>
        <source>Show all</source>
        <translation>显示全部</translation>
    </message>
    <message>
        <source>Show the whole message</source>
        <translation>显示整条消息</translation>
    </message>
    <message>
        <source>Show all of this long message, not only its start</source>
        <translation>显示这条长消息的全部内容，而不只是开头</translation>
    </message>
    <message>
        <source>Save to file…</source>
        <translation>保存到文件…</translation>
    </message>
    <message>
        <source>Save it to a file</source>
        <translation>保存到文件</translation>
    </message>
    <message>
        <source>Save the whole message to a text file</source>
        <translation>把整条消息保存为文本文件</translation>
    </message>
    <message>
        <source>Showing the first {shown} of {size}, as plain text.</source>
        <translation>以纯文本显示 {size} 中的前 {shown}。</translation>
    </message>
    <message>
        <source> Too long to show here (over {size}): save it.</source>
        <translation>内容太长，无法在此显示（超过 {size}）：请保存到文件。</translation>
    </message>
    <message>
        <source> Saved {size} to {path}.</source>
        <translation>已将 {size} 保存到 {path}。</translation>
    </message>
    <message>
        <source>Assistant, {model}</source>
        <translation>助手，{model}</translation>
    </message>
    <message>
        <source>{who}: writing…</source>
        <translation>{who}：正在写…</translation>
    </message>
    <message>
        <source> · answered from the whole document</source>
        <translation> · 根据整篇文档回答</translation>
    </message>
    <message>
        <source>generating…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>imported ({origin})</source>
        <translation>已导入（{origin}）</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>已中断</translation>
    </message>
    <message>
        <source>Summarised: the model reads the summary above a later reply in its place</source>
        <translation>已总结：模型改为读取后面某条回复上方的总结</translation>
    </message>
    <message>
        <source>Copied</source>
        <translation>已复制</translation>
    </message>
    <message>
        <source>d MMM</source>
        <translation>M月d日</translation>
    </message>
    <message>
        <source>d MMM yyyy</source>
        <translation>yyyy年M月d日</translation>
    </message>
    <message>
        <source>{day}, {clock}</source>
        <translation>{day} {clock}</translation>
    </message>
    <message>
        <source>stop string</source>
        <translation>停止词</translation>
    </message>
    <message>
        <source>max tokens</source>
        <translation>最大 token 数</translation>
    </message>
    <message>
        <source>context full</source>
        <translation>上下文已满</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>error</source>
        <translation>出错</translation>
    </message>
    <message>
        <source>{speed} tok/s</source>
        <translation>{speed} token/秒</translation>
    </message>
    <message>
        <source>first token {seconds} s</source>
        <translation>首个 token {seconds} 秒</translation>
    </message>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln 个 token</numerusform>
        </translation>
    </message>
    <message>
        <source>stopped: {why}</source>
        <translation>已停止：{why}</translation>
    </message>
    <message numerus="yes">
        <source>%n old message(s) left out to fit</source>
        <translation>
            <numerusform>为容纳上下文省略了 %n 条较早的消息</numerusform>
        </translation>
    </message>
    <message>
        <source>reopened from disk</source>
        <translation>从磁盘恢复</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
</context>
<context>
    <name>MetadataDialog</name>
    <message>
        <source>Metadata of {name}</source>
        <translation>{name} 的元数据</translation>
    </message>
    <message>
        <source>Filter the metadata</source>
        <translation>筛选元数据</translation>
    </message>
    <message>
        <source>Filter keys and values, e.g. context or rope</source>
        <translation>筛选键和值，例如 context 或 rope</translation>
    </message>
    <message>
        <source>Clear the filter</source>
        <translation>清除筛选</translation>
    </message>
    <message>
        <source>Empty the filter and show every key again</source>
        <translation>清空筛选，重新显示所有键</translation>
    </message>
    <message>
        <source>Metadata keys and values</source>
        <translation>元数据的键和值</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>值</translation>
    </message>
    <message>
        <source>The chosen value, in full</source>
        <translation>所选值的完整内容</translation>
    </message>
    <message>
        <source>All of the chosen key's value, to read or copy</source>
        <translation>所选键的完整值，可阅读或复制</translation>
    </message>
    <message>
        <source>Choose a key to see all of its value.</source>
        <translation>选择一个键以查看它的完整值。</translation>
    </message>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n 个键</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n key(s)</source>
        <translation>
            <numerusform>%n 个键中的 {shown} 个</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln tensor(s)</source>
        <translation>
            <numerusform>%Ln 个张量</numerusform>
        </translation>
    </message>
    <message>
        <source>No key or value contains “{text}”.</source>
        <translation>没有键或值包含“{text}”。</translation>
    </message>
</context>
<context>
    <name>ModelWorkers</name>
    <message>
        <source>searching the Hub failed: {error}</source>
        <translation>搜索 Hub 失败：{error}</translation>
    </message>
    <message>
        <source>listing {repo} failed: {error}</source>
        <translation>列出 {repo} 失败：{error}</translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Quantization</source>
        <translation>量化</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Fit on this machine</source>
        <translation>本机适配情况</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>About</source>
        <translation>简介</translation>
    </message>
    <message>
        <source>Search the Hub for GGUF models above, or start with one of the recommended models.</source>
        <translation>在上方搜索 Hub 上的 GGUF 模型，或从推荐模型开始。</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>downloading</source>
        <translation>下载中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Model manager sections</source>
        <translation>模型管理器分区</translation>
    </message>
    <message>
        <source>&amp;Discover</source>
        <translation>发现(&amp;D)</translation>
    </message>
    <message>
        <source>Do&amp;wnloads</source>
        <translation>下载(&amp;W)</translation>
    </message>
    <message>
        <source>&amp;Library</source>
        <translation>模型库(&amp;L)</translation>
    </message>
    <message>
        <source>Search the Hugging Face Hub and download models</source>
        <translation>在 Hugging Face Hub 上搜索并下载模型</translation>
    </message>
    <message>
        <source>The downloads under way, paused or done</source>
        <translation>进行中、已暂停或已完成的下载</translation>
    </message>
    <message>
        <source>The models on this computer: load, inspect or delete them</source>
        <translation>这台电脑上的模型：加载、查看或删除</translation>
    </message>
    <message>
        <source>Work &amp;offline (make no network requests)</source>
        <translation>离线工作（不发出网络请求）(&amp;O)</translation>
    </message>
    <message>
        <source>Work offline</source>
        <translation>离线工作</translation>
    </message>
    <message>
        <source>Stop searching and downloading; local models still work</source>
        <translation>停止搜索和下载；本地模型仍可使用</translation>
    </message>
    <message>
        <source>Use the models on this computer; ask no network</source>
        <translation>使用本机上的模型；不访问网络</translation>
    </message>
    <message>
        <source>Search the Hub</source>
        <translation>搜索 Hub</translation>
    </message>
    <message>
        <source>Search GGUF models on Hugging Face, e.g. qwen 7b</source>
        <translation>在 Hugging Face 上搜索 GGUF 模型，例如 qwen 7b</translation>
    </message>
    <message>
        <source>Sort by</source>
        <translation>排序方式</translation>
    </message>
    <message>
        <source>The order of the search results</source>
        <translation>搜索结果的排列顺序</translation>
    </message>
    <message>
        <source>Most downloaded</source>
        <translation>下载最多</translation>
    </message>
    <message>
        <source>Most liked</source>
        <translation>点赞最多</translation>
    </message>
    <message>
        <source>Recently updated</source>
        <translation>最近更新</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>搜索(&amp;S)</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>搜索</translation>
    </message>
    <message>
        <source>Search the Hub for models whose name has these words</source>
        <translation>在 Hub 上搜索名称包含这些词的模型</translation>
    </message>
    <message>
        <source>Repositories</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Repository</source>
        <translation>仓库</translation>
    </message>
    <message>
        <source>Downloads</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Likes</source>
        <translation>点赞</translation>
    </message>
    <message>
        <source>Updated</source>
        <translation>更新时间</translation>
    </message>
    <message>
        <source>Files in the repository</source>
        <translation>仓库中的文件</translation>
    </message>
    <message>
        <source>Model card</source>
        <translation>模型卡片</translation>
    </message>
    <message>
        <source>The chosen repository's description, from its author</source>
        <translation>所选仓库的说明，由其作者撰写</translation>
    </message>
    <message>
        <source>&amp;Download selected file</source>
        <translation>下载所选文件(&amp;D)</translation>
    </message>
    <message>
        <source>Download</source>
        <translation>下载</translation>
    </message>
    <message>
        <source>Download the chosen file into the models folder</source>
        <translation>把所选文件下载到模型文件夹</translation>
    </message>
    <message>
        <source>Recommended to start with. Everything runs on this computer; the only thing chatapp fetches from the internet is the model you choose to download.</source>
        <translation>推荐从这些模型开始。一切都在本机运行；chatapp 只会从网上获取你选择下载的模型。</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>检查中…</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Searching the Hub…</source>
        <translation>正在搜索 Hub…</translation>
    </message>
    <message>
        <source> (gated)</source>
        <translation>（需授权）</translation>
    </message>
    <message>
        <source>Nothing on the Hub matches “{words}”: try fewer words.</source>
        <translation>Hub 上没有与“{words}”匹配的结果：请减少关键词再试。</translation>
    </message>
    <message numerus="yes">
        <source>%n repositories</source>
        <translation>
            <numerusform>%n 个仓库</numerusform>
        </translation>
    </message>
    <message>
        <source>Nothing found.</source>
        <translation>未找到结果。</translation>
    </message>
    <message>
        <source>Listing the files of {repo}…</source>
        <translation>正在列出 {repo} 的文件…</translation>
    </message>
    <message>
        <source>Listing {repo}…</source>
        <translation>正在列出 {repo}…</translation>
    </message>
    <message numerus="yes">
        <source> (%n parts)</source>
        <translation>
            <numerusform>（%n 个分卷）</numerusform>
        </translation>
    </message>
    <message>
        <source>{repo} has no GGUF model files.</source>
        <translation>{repo} 中没有 GGUF 模型文件。</translation>
    </message>
    <message>
        <source>(no model card)</source>
        <translation>（没有模型卡片）</translation>
    </message>
    <message numerus="yes">
        <source>{repo}: %n GGUF file(s)</source>
        <translation>
            <numerusform>{repo}：%n 个 GGUF 文件</numerusform>
        </translation>
    </message>
    <message>
        <source>{repo} no longer has {name}</source>
        <translation>{repo} 中已没有 {name}</translation>
    </message>
    <message>
        <source>Queued {name}.</source>
        <translation>已将 {name} 加入下载队列。</translation>
    </message>
    <message>
        <source>★ recommended · </source>
        <translation>★ 推荐 · </translation>
    </message>
    <message>
        <source>Choose a file first.</source>
        <translation>请先选择一个文件。</translation>
    </message>
    <message>
        <source>Access token needed</source>
        <translation>需要访问令牌</translation>
    </message>
    <message>
        <source>{message}.
Paste a Hugging Face access token (it is kept by huggingface_hub, not in chatapp's settings):</source>
        <translation>{message}。
请粘贴 Hugging Face 访问令牌（由 huggingface_hub 保存，不会存入 chatapp 的设置）：</translation>
    </message>
    <message>
        <source>The token could not be saved: {error}</source>
        <translation>无法保存令牌：{error}</translation>
    </message>
    <message>
        <source>The download could not be queued: {error}</source>
        <translation>无法加入下载队列：{error}</translation>
    </message>
    <message>
        <source>Working offline: no network requests; the Library's models work as ever.</source>
        <translation>离线工作中：不发出网络请求；模型库中的模型照常可用。</translation>
    </message>
    <message>
        <source>Online: the Hub can be searched.</source>
        <translation>在线：可以搜索 Hub。</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>No downloads yet — choose a model in Discover and press Download.</source>
        <translation>还没有下载 — 请在“发现”中选择一个模型，然后点击“下载”。</translation>
    </message>
    <message>
        <source>&amp;Pause</source>
        <translation>暂停(&amp;P)</translation>
    </message>
    <message>
        <source>Pause the download</source>
        <translation>暂停下载</translation>
    </message>
    <message>
        <source>Pause the chosen download; Resume goes on where it stopped</source>
        <translation>暂停所选下载；“继续”会从中断处接着下载</translation>
    </message>
    <message>
        <source>&amp;Resume</source>
        <translation>继续(&amp;R)</translation>
    </message>
    <message>
        <source>Resume the download</source>
        <translation>继续下载</translation>
    </message>
    <message>
        <source>Go on with the chosen download from where it stopped</source>
        <translation>从中断处继续所选下载</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Cancel the download</source>
        <translation>取消下载</translation>
    </message>
    <message>
        <source>Stop the chosen download and delete what it fetched</source>
        <translation>停止所选下载并删除已下载的部分</translation>
    </message>
    <message>
        <source>Progress of {name}</source>
        <translation>{name} 的进度</translation>
    </message>
    <message>
        <source>Downloaded and verified {name}.</source>
        <translation>已下载并校验 {name}。</translation>
    </message>
</context>
<context>
    <name>Progress</name>
    <message>
        <source>{percent}%  {done} of {total}  {speed}/s</source>
        <translation>{percent}%  {done} / {total}  {speed}/秒</translation>
    </message>
    <message>
        <source>  {time} left</source>
        <translation>  剩余 {time}</translation>
    </message>
</context>
<context>
    <name>PromptsDialog</name>
    <message>
        <source>Prompts (*.json);;All files (*)</source>
        <translation>提示词 (*.json);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Prompt library</source>
        <translation>提示词库</translation>
    </message>
    <message>
        <source>Saved prompts</source>
        <translation>已保存的提示词</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>New prompt</source>
        <translation>新建提示词</translation>
    </message>
    <message>
        <source>Start a new prompt in the library</source>
        <translation>在提示词库中新建提示词</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete prompt</source>
        <translation>删除提示词</translation>
    </message>
    <message>
        <source>Delete the chosen prompt from the library</source>
        <translation>从提示词库中删除所选提示词</translation>
    </message>
    <message>
        <source>Import…</source>
        <translation>导入…</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Add prompts from a JSON file</source>
        <translation>从 JSON 文件添加提示词</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Save every prompt of the library to a JSON file</source>
        <translation>把提示词库中的所有提示词保存到 JSON 文件</translation>
    </message>
    <message>
        <source>Prompt name</source>
        <translation>提示词名称</translation>
    </message>
    <message>
        <source>The name the prompt is listed and chosen by</source>
        <translation>提示词在列表中显示和选择时使用的名称</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>系统提示词</translation>
    </message>
    <message>
        <source>What the model is told before the conversation; {{date}} becomes today's date</source>
        <translation>对话开始前告诉模型的内容；{{date}} 会替换为今天的日期</translation>
    </message>
    <message>
        <source>You are a helpful assistant. Today is {{date}}.</source>
        <translation>你是一个乐于助人的助手。今天是 {{date}}。</translation>
    </message>
    <message>
        <source>&amp;System prompt:</source>
        <translation>系统提示词(&amp;S)：</translation>
    </message>
    <message>
        <source>Examples the model reads first (few-shot):</source>
        <translation>模型先读取的示例（少样本）：</translation>
    </message>
    <message>
        <source>Examples</source>
        <translation>示例</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>Add example</source>
        <translation>添加示例</translation>
    </message>
    <message>
        <source>Add a row for an example question and answer the model is shown first</source>
        <translation>添加一行示例问答，模型会先看到它</translation>
    </message>
    <message>
        <source>Remove example</source>
        <translation>移除示例</translation>
    </message>
    <message>
        <source>Remove the chosen example</source>
        <translation>移除所选示例</translation>
    </message>
    <message>
        <source>Variables, filled in when a prompt is used: </source>
        <translation>变量，在使用提示词时填入：</translation>
    </message>
    <message>
        <source>What is wrong with the prompt</source>
        <translation>提示词的问题</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Save prompt</source>
        <translation>保存提示词</translation>
    </message>
    <message>
        <source>Save the changes to this prompt</source>
        <translation>保存对这个提示词的修改</translation>
    </message>
    <message>
        <source>Use in this chat</source>
        <translation>在此对话中使用</translation>
    </message>
    <message>
        <source>Make this prompt the system prompt of the current conversation</source>
        <translation>把这个提示词设为当前对话的系统提示词</translation>
    </message>
    <message>
        <source>Use in a new chat</source>
        <translation>在新对话中使用</translation>
    </message>
    <message>
        <source>Start a new conversation with this prompt as its system prompt</source>
        <translation>以这个提示词作为系统提示词开始新对话</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Close the prompt library; changes not saved are lost</source>
        <translation>关闭提示词库；未保存的修改将丢失</translation>
    </message>
    <message>
        <source>Import prompts</source>
        <translation>导入提示词</translation>
    </message>
    <message>
        <source>Export prompts</source>
        <translation>导出提示词</translation>
    </message>
</context>
<context>
    <name>Render</name>
    <message>
        <source>[image: {alt}]</source>
        <translation>[图片：{alt}]</translation>
    </message>
</context>
<context>
    <name>Servers</name>
    <message>
        <source>{model} · {server} (remote)</source>
        <translation>{model} · {server}（远程）</translation>
    </message>
    <message>
        <source>internal error: {error}</source>
        <translation>内部错误：{error}</translation>
    </message>
</context>
<context>
    <name>ServersDialog</name>
    <message>
        <source>Servers</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Chat with models on other machines: llama-server, vLLM, Ollama, LM Studio or any OpenAI-compatible API. Their models appear in the status bar's model menu. Keys are kept in the system's keyring, never in a file.</source>
        <translation>与其他机器上的模型对话：llama-server、vLLM、Ollama、LM Studio 或任何兼容 OpenAI 的 API。它们的模型会出现在状态栏的模型菜单中。密钥保存在系统钥匙串中，绝不写入文件。</translation>
    </message>
    <message>
        <source>&amp;Remove</source>
        <translation>移除(&amp;R)</translation>
    </message>
    <message>
        <source>Remove server</source>
        <translation>移除服务器</translation>
    </message>
    <message>
        <source>Remove the chosen server from the list</source>
        <translation>从列表中移除所选服务器</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>名称(&amp;N)：</translation>
    </message>
    <message>
        <source>Server name</source>
        <translation>服务器名称</translation>
    </message>
    <message>
        <source>&amp;URL:</source>
        <translation>网址(&amp;U)：</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>服务器网址</translation>
    </message>
    <message>
        <source>API &amp;key:</source>
        <translation>API 密钥(&amp;K)：</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>On my own &amp;network: offline mode may still use it</source>
        <translation>在我自己的网络中：离线模式下仍可使用(&amp;N)</translation>
    </message>
    <message>
        <source>Local server</source>
        <translation>本地服务器</translation>
    </message>
    <message>
        <source>Tick for a server on your own network: offline mode still lets you use it</source>
        <translation>勾选表示服务器在你自己的网络中：离线模式下仍可使用</translation>
    </message>
    <message>
        <source>&amp;Add server</source>
        <translation>添加服务器(&amp;A)</translation>
    </message>
    <message>
        <source>Add server</source>
        <translation>添加服务器</translation>
    </message>
    <message>
        <source>Add the server at this address and list its models</source>
        <translation>添加这个地址上的服务器并列出其模型</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Asking the servers…</source>
        <translation>正在询问服务器…</translation>
    </message>
    <message>
        <source>Saving {name}…</source>
        <translation>正在保存 {name}…</translation>
    </message>
    <message>
        <source>Removing {name}…</source>
        <translation>正在移除 {name}…</translation>
    </message>
    <message>
        <source>Not saved: {error}.</source>
        <translation>未保存：{error}。</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>已保存。</translation>
    </message>
    <message>
        <source> (local)</source>
        <translation>（本地）</translation>
    </message>
    <message>
        <source>not asked: offline mode</source>
        <translation>未询问：离线模式</translation>
    </message>
    <message>
        <source>no models</source>
        <translation>没有模型</translation>
    </message>
</context>
<context>
    <name>Settings</name>
    <message>
        <source>How many tokens of the conversation the model can see at once; 0 uses the model's own length, at most 8192.</source>
        <translation>模型一次能看到的对话 token 数；0 表示使用模型自身的长度，最多 8192。</translation>
    </message>
    <message>
        <source>How many of the model's layers run on the GPU (-1 all, 0 none). Automatic puts all layers on the GPU when this build can use one, else none.</source>
        <translation>模型有多少层在 GPU 上运行（-1 为全部，0 为不使用）。“自动”会在此版本能使用 GPU 时把所有层放到 GPU 上，否则不使用。</translation>
    </message>
    <message>
        <source>How many CPU threads generate; 0 lets llama.cpp choose.</source>
        <translation>用于生成的 CPU 线程数；0 表示由 llama.cpp 决定。</translation>
    </message>
    <message>
        <source>How many prompt tokens are read in one step; larger is faster and uses more memory.</source>
        <translation>每一步读取的提示词 token 数；越大越快，但占用内存越多。</translation>
    </message>
    <message>
        <source>A faster attention kernel that needs less memory, where the hardware has it.</source>
        <translation>更快、更省内存的注意力算子，需要硬件支持。</translation>
    </message>
    <message>
        <source>The random seed the model is loaded with; -1 picks a fresh one.</source>
        <translation>加载模型时使用的随机种子；-1 表示每次重新选择。</translation>
    </message>
    <message>
        <source>Speculative decoding that guesses the next tokens from text already in the conversation and checks them in one step: faster where the reply repeats long runs of its input (quotes) and the hardware checks a batch cheaply (GPUs), slower elsewhere; greedy replies change only by rounding.</source>
        <translation>一种推测解码：根据对话中已有的文本猜测接下来的 token，并一次性校验。回复大段重复输入内容（如引用）且硬件能廉价地批量校验（GPU）时更快，其他情况下更慢；贪婪解码的回复只会因舍入而略有不同。</translation>
    </message>
    <message>
        <source>How many tokens prompt lookup guesses ahead at most; each guess is checked in the same step as the next token.</source>
        <translation>提示词查找最多向前猜测的 token 数；每次猜测都与下一个 token 在同一步中校验。</translation>
    </message>
    <message>
        <source>Higher is more varied, 0 always picks the likeliest token.</source>
        <translation>越高越多样，0 总是选择可能性最大的 token。</translation>
    </message>
    <message>
        <source>Sample only from the likeliest tokens that together reach this probability; 1 is off.</source>
        <translation>只从累计概率达到此值的最可能 token 中采样；1 为关闭。</translation>
    </message>
    <message>
        <source>Sample only from this many of the likeliest tokens; 0 is off.</source>
        <translation>只从这么多个最可能的 token 中采样；0 为关闭。</translation>
    </message>
    <message>
        <source>Leave out tokens less likely than this share of the likeliest one; 0 is off.</source>
        <translation>排除概率低于最可能 token 这一比例的 token；0 为关闭。</translation>
    </message>
    <message>
        <source>Above 1 makes repeating recent text less likely; 1 is off.</source>
        <translation>大于 1 时降低重复近期文本的可能性；1 为关闭。</translation>
    </message>
    <message>
        <source>The longest a reply may be, in tokens.</source>
        <translation>一条回复的最大长度（token 数）。</translation>
    </message>
    <message>
        <source>The same seed and settings give the same reply; -1 picks a fresh random seed for each reply.</source>
        <translation>相同的种子和设置会得到相同的回复；-1 表示每条回复都使用新的随机种子。</translation>
    </message>
    <message>
        <source>The reply ends when it produces any of these.</source>
        <translation>回复中出现其中任意一个时即结束。</translation>
    </message>
    <message>
        <source>What happens when the conversation no longer fits in the context length.</source>
        <translation>对话超出上下文长度时的处理方式。</translation>
    </message>
    <message>
        <source>Whether a reasoning model thinks before it answers, for templates with a thinking switch; unset follows the template's own default.</source>
        <translation>推理模型是否先思考再回答，适用于带思考开关的模板；未设置时遵循模板自身的默认值。</translation>
    </message>
    <message>
        <source>How long a reasoning model thinks (low, medium or high), for templates that take an effort; unset follows the template's own default.</source>
        <translation>推理模型思考的程度（低、中或高），适用于支持推理强度的模板；未设置时遵循模板自身的默认值。</translation>
    </message>
    <message>
        <source>Given to the model at the start of every new conversation.</source>
        <translation>在每个新对话开始时提供给模型。</translation>
    </message>
    <message>
        <source>The colour scheme; System follows the desktop.</source>
        <translation>配色方案；“跟随系统”与桌面保持一致。</translation>
    </message>
    <message>
        <source>The window's language; System follows this computer's. Applies at the next start.</source>
        <translation>界面语言；“系统默认”跟随本机的语言。下次启动时生效。</translation>
    </message>
    <message>
        <source>The size of the conversation's text, in points.</source>
        <translation>对话文字的大小（磅）。</translation>
    </message>
    <message>
        <source>The embedding model that searches your documents (a GGUF file).</source>
        <translation>用于搜索文档的嵌入模型（一个 GGUF 文件）。</translation>
    </message>
    <message>
        <source>A Jinja chat template used instead of the model's own; checked when saved.</source>
        <translation>代替模型自带模板的 Jinja 对话模板；保存时会进行检查。</translation>
    </message>
    <message>
        <source>Disk space for conversations' saved model state, so reopening one (even after a restart) evaluates only the new tokens; the least recently used go first. 0 turns it off.</source>
        <translation>用于保存对话模型状态的磁盘空间，这样重新打开对话时（即使重启之后）只需计算新的 token；空间不足时先清除最久未用的。0 表示关闭。</translation>
    </message>
    <message>
        <source>How many passages of the conversation's documents go with each question.</source>
        <translation>每个问题附带多少个来自对话文档的段落。</translation>
    </message>
    <message>
        <source>A passage found only by meaning (not by its words) is left out when its similarity to the question is below this (0 keeps every one).</source>
        <translation>仅凭语义（而非字词）找到的段落，与问题的相似度低于此值时会被舍弃（0 表示全部保留）。</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>&amp;Generation</source>
        <translation>生成(&amp;G)</translation>
    </message>
    <message>
        <source>&amp;Chat</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Settings sections</source>
        <translation>设置分区</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Appearance</source>
        <translation>外观(&amp;A)</translation>
    </message>
    <message>
        <source>How the model writes: temperature, sampling, length</source>
        <translation>模型的生成方式：温度、采样、长度</translation>
    </message>
    <message>
        <source>How the model is loaded: context length, GPU layers, threads</source>
        <translation>模型的加载方式：上下文长度、GPU 层数、线程</translation>
    </message>
    <message>
        <source>The default system prompt, the chat template and passages from documents</source>
        <translation>默认系统提示词、对话模板和文档段落</translation>
    </message>
    <message>
        <source>The window's theme, font size and language</source>
        <translation>窗口的主题、字号和语言</translation>
    </message>
    <message>
        <source>Settings error</source>
        <translation>设置错误</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>确定</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Restore defaults</source>
        <translation>恢复默认值</translation>
    </message>
    <message>
        <source>&amp;Restore defaults</source>
        <translation>恢复默认值(&amp;R)</translation>
    </message>
    <message>
        <source>Put every field back to its default value (until OK)</source>
        <translation>把所有字段恢复为默认值（按“确定”后生效）</translation>
    </message>
    <message>
        <source>Context length</source>
        <translation>上下文长度</translation>
    </message>
    <message>
        <source>Model default (max {cap})</source>
        <translation>模型默认（最多 {cap}）</translation>
    </message>
    <message>
        <source> tokens</source>
        <translation> 个 token</translation>
    </message>
    <message>
        <source>Con&amp;text length:</source>
        <translation>上下文长度(&amp;T)：</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>All layers</source>
        <translation>全部层</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>Number of GPU layers</source>
        <translation>GPU 层数</translation>
    </message>
    <message>
        <source>GPU &amp;layers:</source>
        <translation>GPU 层数(&amp;L)：</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>Threa&amp;ds:</source>
        <translation>线程数(&amp;D)：</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>&amp;Batch size:</source>
        <translation>批大小(&amp;B)：</translation>
    </message>
    <message>
        <source>&amp;Flash attention</source>
        <translation>Flash Attention(&amp;F)</translation>
    </message>
    <message>
        <source>Flash attention</source>
        <translation>Flash Attention</translation>
    </message>
    <message>
        <source>&amp;Prompt lookup (faster replies that repeat their input)</source>
        <translation>提示词查找（加快重复输入内容的回复）(&amp;P)</translation>
    </message>
    <message>
        <source>Prompt lookup</source>
        <translation>提示词查找</translation>
    </message>
    <message>
        <source>Prompt lookup tokens</source>
        <translation>提示词查找 token 数</translation>
    </message>
    <message>
        <source>Lookup to&amp;kens:</source>
        <translation>查找 token 数(&amp;K)：</translation>
    </message>
    <message>
        <source>Saved conversation state</source>
        <translation>保存的对话状态</translation>
    </message>
    <message>
        <source> MB</source>
        <translation> MB</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关</translation>
    </message>
    <message>
        <source>Reopen &amp;cache:</source>
        <translation>重新打开缓存(&amp;C)：</translation>
    </message>
    <message>
        <source>Changes apply when a model is next loaded; the reopen cache at once.</source>
        <translation>更改在下次加载模型时生效；重新打开缓存会立即生效。</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>T&amp;emperature:</source>
        <translation>温度(&amp;E)：</translation>
    </message>
    <message>
        <source>Top p</source>
        <translation>Top p</translation>
    </message>
    <message>
        <source>Top &amp;p:</source>
        <translation>Top p(&amp;P)：</translation>
    </message>
    <message>
        <source>Top k</source>
        <translation>Top k</translation>
    </message>
    <message>
        <source>Top &amp;k:</source>
        <translation>Top k(&amp;K)：</translation>
    </message>
    <message>
        <source>Min p</source>
        <translation>Min p</translation>
    </message>
    <message>
        <source>M&amp;in p:</source>
        <translation>Min p(&amp;I)：</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>重复惩罚</translation>
    </message>
    <message>
        <source>Repeat pe&amp;nalty:</source>
        <translation>重复惩罚(&amp;N)：</translation>
    </message>
    <message>
        <source>Maximum tokens per reply</source>
        <translation>每条回复的最大 token 数</translation>
    </message>
    <message>
        <source>Max &amp;tokens:</source>
        <translation>最大 token 数(&amp;T)：</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>&amp;Seed:</source>
        <translation>种子(&amp;S)：</translation>
    </message>
    <message>
        <source>Stop strings</source>
        <translation>停止词</translation>
    </message>
    <message>
        <source>One stop string per line</source>
        <translation>每行一个停止词</translation>
    </message>
    <message>
        <source> One per line.</source>
        <translation>每行一个。</translation>
    </message>
    <message>
        <source>St&amp;op strings:</source>
        <translation>停止词(&amp;O)：</translation>
    </message>
    <message>
        <source>When the conversation is too long</source>
        <translation>对话过长时</translation>
    </message>
    <message>
        <source>Drop the oldest turns</source>
        <translation>丢弃最早的轮次</translation>
    </message>
    <message>
        <source>Refuse with a message</source>
        <translation>拒绝并提示</translation>
    </message>
    <message>
        <source>Summarise the older turns</source>
        <translation>总结较早的轮次</translation>
    </message>
    <message>
        <source>&amp;When too long:</source>
        <translation>过长时(&amp;W)：</translation>
    </message>
    <message>
        <source>Default system prompt</source>
        <translation>默认系统提示词</translation>
    </message>
    <message>
        <source>For example: You are a helpful assistant.</source>
        <translation>例如：你是一个乐于助人的助手。</translation>
    </message>
    <message>
        <source>Default &amp;system prompt:</source>
        <translation>默认系统提示词(&amp;S)：</translation>
    </message>
    <message>
        <source>Chat template override</source>
        <translation>覆盖对话模板</translation>
    </message>
    <message>
        <source>Empty: use the model's own template</source>
        <translation>留空：使用模型自带的模板</translation>
    </message>
    <message>
        <source>Chat &amp;template override:</source>
        <translation>覆盖对话模板(&amp;T)：</translation>
    </message>
    <message>
        <source>Passages from documents</source>
        <translation>来自文档的段落</translation>
    </message>
    <message>
        <source> passages</source>
        <translation> 个段落</translation>
    </message>
    <message>
        <source>&amp;Documents give:</source>
        <translation>文档提供(&amp;D)：</translation>
    </message>
    <message>
        <source>Least similarity of a passage</source>
        <translation>段落的最低相似度</translation>
    </message>
    <message>
        <source>Passages &amp;at least as similar as:</source>
        <translation>段落相似度至少为(&amp;A)：</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>浅色</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>深色</translation>
    </message>
    <message>
        <source>High contrast</source>
        <translation>高对比度</translation>
    </message>
    <message>
        <source>&amp;Theme:</source>
        <translation>主题(&amp;T)：</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>系统默认</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>The language changes when chatapp next starts.</source>
        <translation>语言将在 chatapp 下次启动时切换。</translation>
    </message>
    <message>
        <source>Font size</source>
        <translation>字号</translation>
    </message>
    <message>
        <source> pt</source>
        <translation> 磅</translation>
    </message>
    <message>
        <source>&amp;Font size:</source>
        <translation>字号(&amp;F)：</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Every command, and the keys that do it.</source>
        <translation>所有命令及其快捷键。</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>any window</source>
        <translation>任意窗口</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Pinned</source>
        <translation>已置顶</translation>
    </message>
    <message>
        <source>Older</source>
        <translation>更早</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>昨天</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>过去 7 天</translation>
    </message>
    <message>
        <source>Previous 30 days</source>
        <translation>过去 30 天</translation>
    </message>
    <message>
        <source>MMMM yyyy</source>
        <translation>yyyy年M月</translation>
    </message>
    <message>
        <source>New chat</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Start a new, empty conversation</source>
        <translation>开始一个新的空白对话</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>搜索对话</translation>
    </message>
    <message>
        <source>Search (Ctrl+F)</source>
        <translation>搜索（Ctrl+F）</translation>
    </message>
    <message>
        <source>Clear the search</source>
        <translation>清除搜索</translation>
    </message>
    <message>
        <source>Empty the search box and show all conversations again</source>
        <translation>清空搜索框，重新显示所有对话</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Messages found</source>
        <translation>找到的消息</translation>
    </message>
    <message>
        <source>Deleted</source>
        <translation>已删除</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Bring back the conversation just deleted</source>
        <translation>恢复刚刚删除的对话</translation>
    </message>
    <message>
        <source>Folder {name}: click to fold or unfold; drop chats on it</source>
        <translation>文件夹 {name}：点击以折叠或展开；可将对话拖放到这里</translation>
    </message>
    <message>
        <source>New folder</source>
        <translation>新建文件夹</translation>
    </message>
    <message>
        <source>Name of the folder:</source>
        <translation>文件夹名称：</translation>
    </message>
    <message>
        <source>Rename folder</source>
        <translation>重命名文件夹</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>The folder was not moved: {error}.</source>
        <translation>文件夹未移动：{error}。</translation>
    </message>
    <message>
        <source>This conversation is still receiving a reply: stop it first.</source>
        <translation>此对话仍在接收回复：请先停止。</translation>
    </message>
    <message>
        <source>Deleted “{title}”</source>
        <translation>已删除“{title}”</translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n conversation(s)</source>
        <translation>
            <numerusform>已删除 %n 个对话</numerusform>
        </translation>
    </message>
    <message>
        <source>New subfolder…</source>
        <translation>新建子文件夹…</translation>
    </message>
    <message>
        <source>Rename folder…</source>
        <translation>重命名文件夹…</translation>
    </message>
    <message>
        <source>Export folder…</source>
        <translation>导出文件夹…</translation>
    </message>
    <message>
        <source>Delete folder (its chats stay)</source>
        <translation>删除文件夹（保留其中的对话）</translation>
    </message>
    <message>
        <source>New folder…</source>
        <translation>新建文件夹…</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>取消置顶</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>置顶</translation>
    </message>
    <message>
        <source>Duplicate</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Move to folder</source>
        <translation>移到文件夹</translation>
    </message>
    <message>
        <source>No folder (top level)</source>
        <translation>不放入文件夹（顶层）</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>{title}: {snippet}</source>
        <translation>{title}：{snippet}</translation>
    </message>
    <message>
        <source>No messages match.</source>
        <translation>没有匹配的消息。</translation>
    </message>
    <message>
        <source>1 message found</source>
        <translation>找到 1 条消息</translation>
    </message>
    <message>
        <source>{n} messages found</source>
        <translation>找到 {n} 条消息</translation>
    </message>
</context>
<context>
    <name>Sources</name>
    <message>
        <source>whole document: {name}</source>
        <translation>整篇文档：{name}</translation>
    </message>
    <message numerus="yes">
        <source>%n passage(s)</source>
        <translation>
            <numerusform>%n 个段落</numerusform>
        </translation>
    </message>
    <message>
        <source>{passages} from {collections}</source>
        <translation>{passages}，来自 {collections}</translation>
    </message>
    <message>
        <source>Sources · {summary}</source>
        <translation>来源 · {summary}</translation>
    </message>
    <message>
        <source>Sources of this reply</source>
        <translation>这条回复的来源</translation>
    </message>
    <message>
        <source>Shows or hides what the reply was given</source>
        <translation>显示或隐藏提供给这条回复的内容</translation>
    </message>
    <message>
        <source>Source {label}</source>
        <translation>来源 {label}</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Context used</source>
        <translation>已用上下文</translation>
    </message>
    <message>
        <source>Loading progress</source>
        <translation>加载进度</translation>
    </message>
    <message>
        <source>Cancel loading</source>
        <translation>取消加载</translation>
    </message>
    <message>
        <source>Stop loading this model</source>
        <translation>停止加载这个模型</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>No model — choose… ▾</source>
        <translation>未选择模型 — 选择… ▾</translation>
    </message>
    <message>
        <source>{model} on the server {server}</source>
        <translation>服务器 {server} 上的 {model}</translation>
    </message>
    <message>
        <source>{backend} · {done}/{total} layers on GPU</source>
        <translation>{backend} · {done}/{total} 层在 GPU 上</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>context %v / %m · nearly full</source>
        <translation>上下文 %v / %m · 即将用满</translation>
    </message>
    <message>
        <source>the model will summarise the older turns and read the summary in their place (shown above the reply)</source>
        <translation>模型会总结较早的轮次，并以总结代替它们（显示在回复上方）</translation>
    </message>
    <message>
        <source>{backend}, {done}/{total} layers offloaded</source>
        <translation>{backend}，{done}/{total} 层已卸载到 GPU</translation>
    </message>
    <message>
        <source>CPU only</source>
        <translation>仅 CPU</translation>
    </message>
    <message>
        <source>CPU only (no GPU support in build)</source>
        <translation>仅 CPU（此版本不支持 GPU）</translation>
    </message>
    <message>
        <source>, LoRA adapter {name} at scale {scale}</source>
        <translation>，LoRA 适配器 {name}，缩放 {scale}</translation>
    </message>
    <message numerus="yes">
        <source>, prompt lookup (%n token(s) ahead)</source>
        <translation>
            <numerusform>，提示词查找（向前 %n 个 token）</numerusform>
        </translation>
    </message>
    <message>
        <source>; system prompt sent in the first user turn</source>
        <translation>；系统提示词放在用户的第一轮中发送</translation>
    </message>
    <message>
        <source>; reasoning model ({format} format)</source>
        <translation>；推理模型（{format} 格式）</translation>
    </message>
    <message numerus="yes">
        <source>{name} ({architecture}, {parameters} params, {quantization}), context %Ln, {where}{extras}, loaded in {seconds} s; chat template {source}{folded}</source>
        <translation>
            <numerusform>{name}（{architecture}，{parameters} 参数，{quantization}），上下文 %Ln，{where}{extras}，加载用时 {seconds} 秒；对话模板：{source}{folded}</numerusform>
        </translation>
    </message>
    <message>
        <source>context %v / %m</source>
        <translation>上下文 %v / %m</translation>
    </message>
    <message>
        <source>The conversation nearly fills the model's context</source>
        <translation>对话即将占满模型的上下文</translation>
    </message>
    <message>
        <source>the next reply is refused until you start a new chat or load the model with a larger context</source>
        <translation>在你开始新对话或以更大的上下文加载模型之前，下一条回复将被拒绝</translation>
    </message>
    <message>
        <source>the oldest turns will be left out of what the model reads (the reply says how many)</source>
        <translation>模型读取时会省略最早的轮次（回复中会注明省略了多少）</translation>
    </message>
    <message>
        <source>This conversation uses {percent}% of the model's context: soon {then}. Change it in the conversation's settings (Ctrl+Shift+S), or load the model with a larger context.</source>
        <translation>此对话已使用模型上下文的 {percent}%：很快{then}。可在对话设置（Ctrl+Shift+S）中更改，或以更大的上下文加载模型。</translation>
    </message>
    <message>
        <source>Open a GGUF model file…</source>
        <translation>打开 GGUF 模型文件…</translation>
    </message>
    <message>
        <source>Asking the servers for their models…</source>
        <translation>正在向服务器查询模型…</translation>
    </message>
    <message>
        <source>Servers: {problem}</source>
        <translation>服务器：{problem}</translation>
    </message>
    <message>
        <source>On {server}</source>
        <translation>位于 {server}</translation>
    </message>
    <message>
        <source>{server}: offline mode is on (the server is not marked local)</source>
        <translation>{server}：已开启离线模式（该服务器未标记为本地）</translation>
    </message>
    <message>
        <source>{server} has no models</source>
        <translation>{server} 没有模型</translation>
    </message>
    <message>
        <source>{model} on {url}</source>
        <translation>{url} 上的 {model}</translation>
    </message>
</context>
<context>
    <name>TemplateNotice</name>
    <message>
        <source>This file has no chat template; using a plain transcript (“User: … / Assistant:”), as its vocabulary has no known turn markers.</source>
        <translation>此文件没有对话模板；由于其词表中没有已知的轮次标记，改用纯文本对话记录（“User: … / Assistant:”）。</translation>
    </message>
    <message>
        <source>This file has no chat template; using {name} (its vocabulary has {name}'s turn markers).</source>
        <translation>此文件没有对话模板；改用 {name}（其词表中有 {name} 的轮次标记）。</translation>
    </message>
    <message>
        <source>{model}'s template has no system role: your system prompt is sent at the start of your first message.</source>
        <translation>{model} 的模板没有系统角色：你的系统提示词会放在第一条消息的开头发送。</translation>
    </message>
    <message>
        <source>Chat template for this model</source>
        <translation>此模型的对话模板</translation>
    </message>
    <message>
        <source>Plain transcript (User: / Assistant:)</source>
        <translation>纯文本对话记录（User: / Assistant:）</translation>
    </message>
    <message>
        <source>Choose a Jinja file…</source>
        <translation>选择 Jinja 文件…</translation>
    </message>
    <message>
        <source>Back to the automatic choice</source>
        <translation>恢复自动选择</translation>
    </message>
    <message>
        <source>{model}'s chat template is invalid: {error}</source>
        <translation>{model} 的对话模板无效：{error}</translation>
    </message>
    <message>
        <source>a plain transcript</source>
        <translation>纯文本对话记录</translation>
    </message>
    <message>
        <source>your chat template</source>
        <translation>你的对话模板</translation>
    </message>
    <message>
        <source>{model} now uses {what}, until the model is loaded again.</source>
        <translation>{model} 现在使用 {what}，直到再次加载模型为止。</translation>
    </message>
    <message>
        <source>{model} now uses the chat template {source}.</source>
        <translation>{model} 现在使用对话模板 {source}。</translation>
    </message>
    <message>
        <source>Change template…</source>
        <translation>更换模板…</translation>
    </message>
    <message>
        <source>{name} (markers not in this file)</source>
        <translation>{name}（此文件中没有其标记）</translation>
    </message>
    <message>
        <source>Choose a chat template</source>
        <translation>选择对话模板</translation>
    </message>
    <message>
        <source>Jinja templates (*.jinja *.j2 *.txt);;All files (*)</source>
        <translation>Jinja 模板 (*.jinja *.j2 *.txt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not read {name}: {error}.</source>
        <translation>无法读取 {name}：{error}。</translation>
    </message>
    <message>
        <source>it is larger than 1 MB, too large for a chat template</source>
        <translation>文件超过 1 MB，作为对话模板太大</translation>
    </message>
    <message>
        <source>it is not UTF-8 text</source>
        <translation>它不是 UTF-8 文本</translation>
    </message>
    <message>
        <source>it is empty</source>
        <translation>文件为空</translation>
    </message>
</context>
<context>
    <name>TextViewer</name>
    <message>
        <source>Loading the text</source>
        <translation>正在加载文本</translation>
    </message>
    <message>
        <source>The whole message</source>
        <translation>整条消息</translation>
    </message>
    <message>
        <source>All of the message's text, to read, select or copy</source>
        <translation>消息的全部文本，可阅读、选择或复制</translation>
    </message>
    <message>
        <source>The whole message: {size}.</source>
        <translation>整条消息：{size}。</translation>
    </message>
    <message>
        <source>Loading… {percent} %</source>
        <translation>正在加载… {percent}%</translation>
    </message>
</context>
<context>
    <name>Thinking</name>
    <message>
        <source>Thinking…</source>
        <translation>思考中…</translation>
    </message>
    <message>
        <source>the thinking</source>
        <translation>思考过程</translation>
    </message>
    <message>
        <source>Opens or folds what the model reasoned before its answer</source>
        <translation>展开或折叠模型在回答前的思考过程</translation>
    </message>
    <message>
        <source>Show or hide {what}</source>
        <translation>显示或隐藏{what}</translation>
    </message>
    <message>
        <source>Thought for {seconds} s</source>
        <translation>思考了 {seconds} 秒</translation>
    </message>
    <message>
        <source>Thought</source>
        <translation>已思考</translation>
    </message>
    <message>
        <source>the summary of the earlier messages</source>
        <translation>前面消息的总结</translation>
    </message>
    <message>
        <source>Opens or folds the summary the model read in place of older messages</source>
        <translation>展开或折叠模型用来代替较早消息的摘要</translation>
    </message>
    <message numerus="yes">
        <source>Summary of the earlier %n message(s), read in their place</source>
        <translation>
            <numerusform>前面 %n 条消息的总结，模型以此代替原消息</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VersionsTree</name>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Assistant</source>
        <translation>助手</translation>
    </message>
    <message>
        <source>System</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Versions of the messages</source>
        <translation>消息的各个版本</translation>
    </message>
    <message>
        <source>Every version of every message; Enter shows the branch through the chosen one</source>
        <translation>每条消息的所有版本；按 Enter 显示经过所选版本的分支</translation>
    </message>
    <message>
        <source>About the versions tree</source>
        <translation>关于版本树</translation>
    </message>
    <message>
        <source>(empty)</source>
        <translation>（空）</translation>
    </message>
    <message>
        <source>{who}: {content}</source>
        <translation>{who}：{content}</translation>
    </message>
    <message numerus="yes">
        <source>Showing the first %n messages.</source>
        <translation>
            <numerusform>只显示前 %n 条消息。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Window</name>
    <message>
        <source>Documents are not available: {error}</source>
        <translation>文档功能不可用：{error}</translation>
    </message>
    <message>
        <source>Read-only: {reason}. You can read, search and export your conversations; nothing new can be saved.</source>
        <translation>只读：{reason}。你可以阅读、搜索和导出对话，但无法保存任何新内容。</translation>
    </message>
    <message>
        <source>{model} (this computer)</source>
        <translation>{model}（本机）</translation>
    </message>
    <message>
        <source>Versions</source>
        <translation>版本</translation>
    </message>
    <message>
        <source>Open a GGUF model</source>
        <translation>打开 GGUF 模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf);;All files (*)</source>
        <translation>GGUF 模型 (*.gguf);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Wait for the reply to finish (or stop it) before changing models.</source>
        <translation>请等待回复完成（或停止它）后再更换模型。</translation>
    </message>
    <message>
        <source>Cannot use the server's model: {error}.</source>
        <translation>无法使用服务器的模型：{error}。</translation>
    </message>
    <message>
        <source> {model} is still loaded.</source>
        <translation>{model} 仍处于加载状态。</translation>
    </message>
    <message>
        <source>Could not load {name}: {error}.{keep}</source>
        <translation>无法加载 {name}：{error}。{keep}</translation>
    </message>
    <message>
        <source>Documents are not available (the documents index cannot be opened).</source>
        <translation>文档功能不可用（无法打开文档索引）。</translation>
    </message>
    <message>
        <source>cannot read or write the file: {error}</source>
        <translation>无法读写该文件：{error}</translation>
    </message>
    <message>
        <source>About chatapp</source>
        <translation>关于 chatapp</translation>
    </message>
    <message>
        <source>Save what can be read…</source>
        <translation>保存可读取的内容…</translation>
    </message>
    <message>
        <source>Open a conversation first: File → Export all conversations… exports every one.</source>
        <translation>请先打开一个对话：“文件 → 导出全部对话…”可导出所有对话。</translation>
    </message>
    <message>
        <source>This folder holds no conversations to export.</source>
        <translation>此文件夹中没有可导出的对话。</translation>
    </message>
</context>
<context>
    <name>Workers</name>
    <message>
        <source>internal error: {error}</source>
        <translation>内部错误：{error}</translation>
    </message>
    <message>
        <source>llama.cpp could not load {name}: {error}</source>
        <translation>llama.cpp 无法加载 {name}：{error}</translation>
    </message>
    <message>
        <source>loading {name}…</source>
        <translation>正在加载 {name}…</translation>
    </message>
    <message>
        <source>{name} does not fit beside the model in use ({why}): compare with this model and other settings, or load the other model instead</source>
        <translation>{name} 无法与当前模型同时加载（{why}）：请用当前模型和其他设置来比较，或改为加载另一个模型</translation>
    </message>
    <message>
        <source>generation failed: {error}</source>
        <translation>生成失败：{error}</translation>
    </message>
</context>
</TS>
