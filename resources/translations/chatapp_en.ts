<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>ChatPanel</name>
    <message numerus="yes">
        <source>%n example(s) · </source>
        <translation>
            <numerusform>%n example · </numerusform>
            <numerusform>%n examples · </numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>System prompt: {prompt} · {examples}temperature {temperature} · max %Ln token(s) (&lt;a href='edit'&gt;change&lt;/a&gt;)</source>
        <translation>
            <numerusform>System prompt: {prompt} · {examples}temperature {temperature} · max %Ln token (&lt;a href='edit'&gt;change&lt;/a&gt;)</numerusform>
            <numerusform>System prompt: {prompt} · {examples}temperature {temperature} · max %Ln tokens (&lt;a href='edit'&gt;change&lt;/a&gt;)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>reading the prompt: {done} of %Ln token(s)…</source>
        <translation>
            <numerusform>reading the prompt: {done} of %Ln token…</numerusform>
            <numerusform>reading the prompt: {done} of %Ln tokens…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>generating… %Ln token(s)</source>
        <translation>
            <numerusform>generating… %Ln token</numerusform>
            <numerusform>generating… %Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Deleted %n message(s).</source>
        <translation>
            <numerusform>Deleted %n message.</numerusform>
            <numerusform>Deleted %n messages.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>The conversation no longer fits the context: the model is summarising the earlier %n message(s) first (its conversation settings say so)…</source>
        <translation>
            <numerusform>The conversation no longer fits the context: the model is summarising the earlier message first (its conversation settings say so)…</numerusform>
            <numerusform>The conversation no longer fits the context: the model is summarising the earlier %n messages first (its conversation settings say so)…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{collection}: %n file(s) skipped, e.g. {name}: {reason} (Settings → Documents… lists them all)</source>
        <translation>
            <numerusform>{collection}: %n file skipped, e.g. {name}: {reason} (Settings → Documents… lists them all)</numerusform>
            <numerusform>{collection}: %n files skipped, e.g. {name}: {reason} (Settings → Documents… lists them all)</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DocsBar</name>
    <message numerus="yes">
        <source>Indexing {collection}: {done} of %n file(s)</source>
        <translation>
            <numerusform>Indexing {collection}: {done} of %n file</numerusform>
            <numerusform>Indexing {collection}: {done} of %n files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n passage(s)</source>
        <translation>
            <numerusform>, %n passage</numerusform>
            <numerusform>, %n passages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n file</numerusform>
            <numerusform>%n files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>DocumentsDialog</name>
    <message numerus="yes">
        <source>%n file(s)</source>
        <translation>
            <numerusform>%n file</numerusform>
            <numerusform>%n files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>, %n passage(s)</source>
        <translation>
            <numerusform>, %n passage</numerusform>
            <numerusform>, %n passages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Every file of {name} (%n passage(s)) will be embedded again with {model}. This can take a while; searching it waits until then.</source>
        <translation>
            <numerusform>Every file of {name} (%n passage) will be embedded again with {model}. This can take a while; searching it waits until then.</numerusform>
            <numerusform>Every file of {name} (%n passages) will be embedded again with {model}. This can take a while; searching it waits until then.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message numerus="yes">
        <source>Saved %n conversation(s) to {path}{note}.</source>
        <translation>
            <numerusform>Saved %n conversation to {path}{note}.</numerusform>
            <numerusform>Saved %n conversations to {path}{note}.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message numerus="yes">
        <source>%Ln token(s)</source>
        <translation>
            <numerusform>%Ln token</numerusform>
            <numerusform>%Ln tokens</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n old message(s) left out to fit</source>
        <translation>
            <numerusform>%n old message left out to fit</numerusform>
            <numerusform>%n old messages left out to fit</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MetadataDialog</name>
    <message numerus="yes">
        <source>%n key(s)</source>
        <translation>
            <numerusform>%n key</numerusform>
            <numerusform>%n keys</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{shown} of %n key(s)</source>
        <translation>
            <numerusform>{shown} of %n key</numerusform>
            <numerusform>{shown} of %n keys</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%Ln tensor(s)</source>
        <translation>
            <numerusform>%Ln tensor</numerusform>
            <numerusform>%Ln tensors</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ModelsDialog</name>
    <message numerus="yes">
        <source>%n repositories</source>
        <translation>
            <numerusform>%n repository</numerusform>
            <numerusform>%n repositories</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source> (%n parts)</source>
        <translation>
            <numerusform> (%n parts)</numerusform>
            <numerusform> (%n parts)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{repo}: %n GGUF file(s)</source>
        <translation>
            <numerusform>{repo}: %n GGUF file</numerusform>
            <numerusform>{repo}: %n GGUF files</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message numerus="yes">
        <source>Deleted %n conversation(s)</source>
        <translation>
            <numerusform>Deleted %n conversation</numerusform>
            <numerusform>Deleted %n conversations</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Sources</name>
    <message numerus="yes">
        <source>%n passage(s)</source>
        <translation>
            <numerusform>%n passage</numerusform>
            <numerusform>%n passages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message numerus="yes">
        <source>, prompt lookup (%n token(s) ahead)</source>
        <translation>
            <numerusform>, prompt lookup (%n token ahead)</numerusform>
            <numerusform>, prompt lookup (%n tokens ahead)</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>{name} ({architecture}, {parameters} params, {quantization}), context %Ln, {where}{extras}, loaded in {seconds} s; chat template {source}{folded}</source>
        <translation>
            <numerusform>{name} ({architecture}, {parameters} params, {quantization}), context %Ln, {where}{extras}, loaded in {seconds} s; chat template {source}{folded}</numerusform>
            <numerusform>{name} ({architecture}, {parameters} params, {quantization}), context %Ln, {where}{extras}, loaded in {seconds} s; chat template {source}{folded}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>Thinking</name>
    <message numerus="yes">
        <source>Summary of the earlier %n message(s), read in their place</source>
        <translation>
            <numerusform>Summary of the earlier message, read in its place</numerusform>
            <numerusform>Summary of the earlier %n messages, read in their place</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VersionsTree</name>
    <message numerus="yes">
        <source>Showing the first %n messages.</source>
        <translation>
            <numerusform>Showing the first %n messages.</numerusform>
            <numerusform>Showing the first %n messages.</numerusform>
        </translation>
    </message>
</context>
</TS>
