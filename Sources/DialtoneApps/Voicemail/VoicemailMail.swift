// SPDX-License-Identifier: GPL-2.0-or-later
import DialtoneConfig
import DialtoneSwitch
import Foundation

/// The e-mail for a new message (RFC 5322 / MIME, RFC 2045–2046): a text
/// part with the envelope and the WAV as a base64 attachment. What a
/// caller controls (their number) is reduced to digits before it goes into a header.
enum VoicemailMail {
    static func compose(message m: VoicemailMessage, owner: MailboxConfig, to: String, from: String, new: Int) -> Data {
        let caller = m.caller.filter(\.isNumber)
        let who = caller.isEmpty ? "an unknown caller" : caller
        let boundary = "dialtone-\(m.callID.filter { $0.isLetter || $0.isNumber })-\(Int(m.received.timeIntervalSince1970))"
        let date = DateFormatter()
        date.locale = Locale(identifier: "en_US_POSIX")
        date.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        let ownerName = owner.owner.filter { !$0.isNewline && $0 != "\"" && $0 != "\\" }
        let toHeader = ownerName.isEmpty ? to : "\"\(ownerName)\" <\(to)>"
        let file = (m.path as NSString).lastPathComponent
        var text = """
        From: Dialtone voice mail <\(from)>\r
        To: \(toHeader)\r
        Subject: New voice message from \(who) in mailbox \(m.mailbox)\r
        Date: \(date.string(from: m.received))\r
        MIME-Version: 1.0\r
        Content-Type: multipart/mixed; boundary="\(boundary)"\r
        \r
        This is a MIME message.\r
        --\(boundary)\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        Mailbox \(m.mailbox) has a new message of \(Int(m.seconds.rounded())) seconds from \(who),\r
        received \(date.string(from: m.received)). New messages: \(new).\r
        \r
        --\(boundary)\r
        Content-Type: audio/wav; name="\(file)"\r
        Content-Transfer-Encoding: base64\r
        Content-Disposition: attachment; filename="\(file)"\r
        \r

        """
        let wav = (try? Data(contentsOf: URL(fileURLWithPath: m.path))) ?? Data()
        text += wav.base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        text += "\r\n--\(boundary)--\r\n"
        return Data(text.utf8)
    }
}
