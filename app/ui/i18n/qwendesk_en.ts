<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>AttachmentChip</name>
    <message numerus="yes">
        <location filename="../attachments.py" line="+128"/>
        <source>%n page(s)</source>
        <translation>
            <numerusform>%n page</numerusform>
            <numerusform>%n pages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../main_window.py" line="+497"/>
        <source>%n answer(s) were interrupted when QwenDesk last stopped; what had been written is kept.</source>
        <translation>
            <numerusform>%n answer was interrupted when QwenDesk last stopped; what had been written is kept.</numerusform>
            <numerusform>%n answers were interrupted when QwenDesk last stopped; what had been written is kept.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RemoteDialog</name>
    <message numerus="yes">
        <location filename="../remote_dialog.py" line="+235"/>
        <source>%n model(s) on this server.</source>
        <translation>
            <numerusform>%n model on this server.</numerusform>
            <numerusform>%n models on this server.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ServerRow</name>
    <message numerus="yes">
        <location filename="../tools_server_form.py" line="+329"/>
        <source>ready · %n tool(s)</source>
        <translation>
            <numerusform>ready · %n tool</numerusform>
            <numerusform>ready · %n tools</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SpeedDialog</name>
    <message numerus="yes">
        <location filename="../speed_dialog.py" line="+167"/>
        <source>%n conversation(s), {size}</source>
        <translation>
            <numerusform>%n conversation, {size}</numerusform>
            <numerusform>%n conversations, {size}</numerusform>
        </translation>
    </message>
</context>
</TS>
