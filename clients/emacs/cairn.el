;;; cairn.el --- Cairn, a coding agent language server, for eglot or lsp-mode  -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "29.1"))
;; Keywords: tools, languages

;;; Commentary:

;; Cairn is a language server: eglot or lsp-mode starts `cairn serve', and its code
;; actions (Explain, Fix this diagnostic, Refactor, Add docstring, Write tests) appear
;; with the others.  This file adds the setup and what LSP has no command for: a chat,
;; and Explain on a region.  They send `workspace/executeCommand' without waiting; the
;; server answers at once with a run id and shows the outcome itself: a transcript
;; opened with `window/showDocument' (eglot), or the answer in a `window/showMessage'
;; (lsp-mode 8 cannot show documents).  `cairn-result' opens the latest transcript.
;;
;; Setup (see README.md): (cairn-eglot-setup) or (cairn-lsp-setup); M-x cairn-chat.

;;; Code:

(require 'cl-lib)
(require 'seq)

(declare-function eglot-current-server "eglot")
(declare-function eglot-server-capable "eglot")
(declare-function eglot-path-to-uri "eglot")
(declare-function eglot--signal-textDocument/didChange "eglot")
(declare-function eglot--pos-to-lsp-position "eglot")
(declare-function jsonrpc-async-request "jsonrpc")
(declare-function lsp-workspaces "lsp-mode")
(declare-function lsp--workspace-client "lsp-mode")
(declare-function lsp--client-server-id "lsp-mode")
(declare-function lsp-request-async "lsp-mode")
(declare-function lsp--point-to-position "lsp-mode")
(declare-function lsp--buffer-uri "lsp-mode")
(declare-function lsp-register-client "lsp-mode")
(declare-function make-lsp-client "lsp-mode")
(declare-function lsp-stdio-connection "lsp-mode")
(declare-function lsp--apply-workspace-edit "lsp-mode")
(defvar eglot-server-programs)
(defvar lsp--cur-workspace)

(defgroup cairn nil
  "Cairn, a coding agent with durable project memory, as a language server."
  :group 'tools
  :prefix "cairn-")

(defcustom cairn-server-command '("cairn" "serve")
  "Command that starts the Cairn language server on stdio."
  :type '(repeat string))

(defcustom cairn-settings nil
  "Cairn settings sent at start-up, as a plist.
For instance (:model \"openai/gpt-4.1\" :trusted t).  Keys are those of
the settings table in Cairn's README; `:trusted' is honoured only here,
never from a project's own configuration."
  :type 'plist)

(defcustom cairn-major-modes '(python-mode python-ts-mode)
  "Major modes whose buffers Cairn serves."
  :type '(repeat symbol))

;;;; Setup

(defun cairn--initialization-options ()
  "The `initializationOptions' Cairn starts with: the user's settings."
  (list :settings (or cairn-settings (make-hash-table))))

(defun cairn-eglot-contact (&optional _interactive _project)
  "The eglot contact of Cairn: `cairn-server-command' and `cairn-settings'."
  (append cairn-server-command
          (list :initializationOptions (cairn--initialization-options))))

;;;###autoload
(defun cairn-eglot-setup ()
  "Make eglot start Cairn for `cairn-major-modes'.
eglot runs one server per buffer: Cairn replaces the Python server that
eglot would otherwise start there."
  (require 'eglot)
  (add-to-list 'eglot-server-programs
               (cons cairn-major-modes #'cairn-eglot-contact)))

;;;###autoload
(defun cairn-lsp-setup ()
  "Register Cairn with lsp-mode, as an add-on beside the buffer's own server."
  (require 'lsp-mode)
  (let ((actions (make-hash-table :test #'equal))
        (requests (make-hash-table :test #'equal)))
    ;; lsp-mode would send a code action's command to every server of the buffer
    (puthash "cairn.runAction" #'cairn--lsp-run-action actions)
    (puthash "workspace/applyEdit" #'cairn--lsp-apply-edit requests)
    (lsp-register-client
     (make-lsp-client
      :new-connection (lsp-stdio-connection (lambda () cairn-server-command))
      :major-modes cairn-major-modes
      :add-on? t
      :server-id 'cairn
      :action-handlers actions
      :request-handlers requests
      :initialization-options #'cairn--initialization-options))))

(defun cairn--lsp-apply-edit (_workspace params)
  "Apply the edit of Cairn's `workspace/applyEdit' PARAMS for every server.
lsp-mode 8 applies a server's edit with only that server current, so the
buffer's other server (pylsp...) would not be told of the change."
  (let ((lsp--cur-workspace nil))
    (list :applied
          (condition-case err
              (progn (lsp--apply-workspace-edit (cairn--get params "edit")
                                                'server-requested)
                     t)
            (error (message "Cairn: the edit could not be applied: %s"
                            (error-message-string err))
                   :json-false)))))

(defun cairn--lsp-run-action (command)
  "Send COMMAND, a code action's `cairn.runAction', to Cairn alone."
  (let ((arguments (cairn--get command "arguments")))
    (cairn-execute "cairn.runAction"
                   (and (> (length arguments) 0) (aref arguments 0))
                   (cairn--started
                    (downcase (or (cairn--get command "title") "action"))))))

;;;; Talking to the server

(defun cairn--eglot-server ()
  "The buffer's eglot server when it is Cairn, else nil."
  (when (and (fboundp 'eglot-current-server) (eglot-current-server)
             (seq-contains-p
              (eglot-server-capable :executeCommandProvider :commands)
              "cairn.chat"))
    (eglot-current-server)))

(defun cairn--lsp-workspace ()
  "The buffer's lsp-mode workspace of Cairn, else nil."
  (when (and (bound-and-true-p lsp-mode) (fboundp 'lsp-workspaces))
    (seq-find (lambda (workspace)
                (eq (lsp--client-server-id (lsp--workspace-client workspace))
                    'cairn))
              (lsp-workspaces))))

(defun cairn--get (object key)
  "KEY (a string) of a JSON OBJECT: a plist (eglot) or a hash table."
  (if (hash-table-p object)
      (gethash key object)
    (plist-get object (intern (concat ":" key)))))

(defun cairn--position (point)
  "POINT as an LSP position, in the encoding of the connection."
  (save-excursion
    (cond ((cairn--eglot-server) (eglot--pos-to-lsp-position point))
          ((cairn--lsp-workspace) (lsp--point-to-position point))
          (t (goto-char point)
             (list :line (1- (line-number-at-pos))
                   :character (- point (line-beginning-position)))))))

(defun cairn--uri ()
  "The current file's URI, spelled as the connection spelled it."
  (cond ((cairn--eglot-server)
         (eglot-path-to-uri (file-truename buffer-file-name)))
        ((cairn--lsp-workspace) (lsp--buffer-uri))
        (t (concat "file://" (expand-file-name buffer-file-name)))))

(defun cairn--document-arguments (&optional beg end)
  "The current file's URI, with the range from BEG to END when given."
  (when buffer-file-name
    (append (list :uri (cairn--uri))
            (when (and beg end)
              (list :range (list :start (cairn--position beg)
                                 :end (cairn--position end)))))))

(defun cairn-execute (command arguments &optional on-result on-error)
  "Send Cairn's COMMAND with ARGUMENTS (a plist) without waiting.
ON-RESULT, when given, is called with the decoded result; ON-ERROR with the
error's message (by default the message is shown)."
  (let ((params (list :command command
                      :arguments (vector (or arguments (make-hash-table)))))
        (success (lambda (result) (when on-result (funcall on-result result))))
        (failure (lambda (error)
                   (let ((text (or (cairn--get error "message") (format "%s" error))))
                     (if on-error
                         (funcall on-error text)
                       (message "Cairn: %s failed: %s" command text))))))
    (cond
     ((cairn--eglot-server)
      ;; the server must see edits eglot has not sent yet
      (when (fboundp 'eglot--signal-textDocument/didChange)
        (eglot--signal-textDocument/didChange))
      (jsonrpc-async-request (cairn--eglot-server) :workspace/executeCommand params
                             :success-fn success :error-fn failure))
     ((cairn--lsp-workspace)
      (let ((lsp--cur-workspace (cairn--lsp-workspace)))
        (lsp-request-async "workspace/executeCommand" params success
                           :error-handler failure)))
     (t (user-error "Cairn is not running here (see `cairn-eglot-setup')")))))

(defun cairn--started (what)
  "A callback telling the user that WHAT started and that its answer will come."
  (lambda (result)
    (message "Cairn: %s started (run %s); the answer will open when it is ready."
             what (cairn--get result "runId"))))

;;;; Commands

;;;###autoload
(defun cairn-chat (prompt &optional beg end)
  "Ask Cairn PROMPT about the current file, and the region from BEG to END."
  (interactive (append (list (read-string "Ask Cairn: "))
                       (when (use-region-p) (list (region-beginning) (region-end)))))
  (cairn-execute "cairn.chat"
                 (append (list :prompt prompt) (cairn--document-arguments beg end))
                 (cairn--started "chat")))

;;;###autoload
(defun cairn-explain (beg end)
  "Ask Cairn to explain the code from BEG to END (the region, or the line)."
  (interactive (if (use-region-p)
                   (list (region-beginning) (region-end))
                 (list (line-beginning-position) (line-end-position))))
  (unless buffer-file-name (user-error "Cairn explains code in files"))
  (cairn-execute "cairn.runAction"
                 (append (list :action "explain") (cairn--document-arguments beg end))
                 (cairn--started "explanation")))

;;;###autoload
(defun cairn-result ()
  "Show the latest run's outcome: its transcript, or its text."
  (interactive)
  (cairn-execute
   "cairn.result" nil
   (lambda (run)
     (let ((transcript (cairn--get run "transcript")))
       (if (and transcript (file-readable-p transcript))
           (display-buffer (find-file-noselect transcript))
         (message "Cairn (%s): %s" (cairn--get run "status")
                  (or (cairn--get run "error") (cairn--get run "text"))))))))

;;;###autoload
(defun cairn-cancel ()
  "Cancel what Cairn is doing."
  (interactive)
  (cairn-execute "cairn.cancel" nil (lambda (_) (message "Cairn: cancelled"))))

;;;###autoload
(defun cairn-new-session ()
  "Start a new chat session (the project's memory stays)."
  (interactive)
  (cairn-execute "cairn.newSession" nil (lambda (_) (message "Cairn: new session"))))

(provide 'cairn)
;;; cairn.el ends here
